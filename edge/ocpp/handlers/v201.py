"""OCPP 2.0.1 requests a charging station sends us, answered (payloads valid).

The same answers as 1.6 (:mod:`.v16`) in 2.0.1's words: BootNotification of a
declared station is Accepted with our heartbeat interval, Heartbeat gives the
time. What a station says of its connectors ends in the same
:class:`edge.ocpp.status.ChargerStatus` as a 1.6 charger's, so that the EVSE
port, the store and OCPI see one vocabulary:

* a 2.0.1 station has EVSEs (``evseId``), each with connectors; the site
  declares one EVSE per ``evseId`` (``[[ocpp.charger.connector]] id``). The
  status of an EVSE is folded from its connectors' (:func:`fold`): a session on
  one connector (Occupied) shows, then Reserved, then Available if any
  connector is; Unavailable and Faulted only when no connector is usable;
* StatusNotification and NotifyEvent's ``AvailabilityState`` events report a
  connector's status (an EVSE's or the station's as a whole when the event's
  component names no connector, or no EVSE: as 1.6's connector 0);
* 2.0.1's ``Occupied`` says less than 1.6's Preparing/Charging/Suspended: the
  charging state of the EVSE's transaction (TransactionEvent's
  ``chargingState``, :meth:`V201Handlers.charging_state`) says which phase it
  is; Occupied with none is Preparing.

Other NotifyEvent events are counted per component and variable
(:attr:`V201Handlers.events`) and logged (the first of each at INFO, the
rest at DEBUG: a station reporting a flood of events floods no log).
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from edge.model.clock import Clock
from edge.ocpp import frames
from edge.ocpp.handlers.greeting import Greeting
from edge.ocpp.handlers.v16 import Handler
from edge.ocpp.status import ChargerStatus, ConnectorStatus, StatusReport
from edge.ocpp.times import charger_time

log = logging.getLogger(__name__)

KNOWN_UNSUPPORTED = frozenset({
    "DataTransfer", "FirmwareStatusNotification",
    "LogStatusNotification", "NotifyReport", "SecurityEventNotification",
    "SignCertificate", "Get15118EVCertificate", "GetCertificateStatus",
    "NotifyChargingLimit", "ClearedChargingLimit", "ReportChargingProfiles",
    "NotifyEVChargingNeeds", "NotifyEVChargingSchedule", "NotifyDisplayMessages",
    "NotifyCustomerInformation", "NotifyMonitoringReport", "ReservationStatusUpdate",
    "PublishFirmwareStatusNotification",
})  # fmt: skip
"""2.0.1 requests of a station that we do not answer yet (NotSupported)."""

MAX_EVENT_KINDS = 256
"""Kinds of NotifyEvent counted apart; the rest counted as :data:`OTHER_EVENTS`."""
OTHER_EVENTS = ("*", "*")


class Connector201(StrEnum):
    """OCPP 2.0.1 ``ConnectorStatusEnumType`` (checked against the package's)."""

    AVAILABLE = "Available"
    OCCUPIED = "Occupied"
    RESERVED = "Reserved"
    UNAVAILABLE = "Unavailable"
    FAULTED = "Faulted"


_PRECEDENCE = (
    Connector201.OCCUPIED,
    Connector201.RESERVED,
    Connector201.AVAILABLE,
    Connector201.UNAVAILABLE,
    Connector201.FAULTED,
)
_WHOLE = (Connector201.UNAVAILABLE, Connector201.FAULTED)

_OCCUPIED_AS = {
    "Charging": ConnectorStatus.CHARGING,
    "SuspendedEV": ConnectorStatus.SUSPENDED_EV,
    "SuspendedEVSE": ConnectorStatus.SUSPENDED_EVSE,
    "EVConnected": ConnectorStatus.PREPARING,
    "Idle": ConnectorStatus.PREPARING,
    "Ended": ConnectorStatus.FINISHING,
}
"""Occupied, by the charging state of the EVSE's transaction ("Ended": the
transaction ended, the cable is still in)."""

_AS_16 = {
    Connector201.AVAILABLE: ConnectorStatus.AVAILABLE,
    Connector201.RESERVED: ConnectorStatus.RESERVED,
    Connector201.UNAVAILABLE: ConnectorStatus.UNAVAILABLE,
    Connector201.FAULTED: ConnectorStatus.FAULTED,
}


def fold(statuses: dict[int, Connector201]) -> Connector201 | None:
    """One EVSE's status from its connectors' (key 0: the EVSE as a whole)."""
    whole = statuses.get(0)
    if whole in _WHOLE:
        return whole
    present = {s for c, s in statuses.items() if c != 0}
    for status in _PRECEDENCE:
        if status in present:
            return status
    return whole


@dataclass(frozen=True)
class StationInfo:
    """What a station says of itself in BootNotification."""

    vendor: str
    model: str
    serial_number: str | None
    firmware_version: str | None
    reason: str


class V201Handlers:
    """The 2.0.1 requests of one connected station."""

    def __init__(
        self, status: ChargerStatus, clock: Clock, heartbeat_interval_s: int
    ) -> None:
        self.status = status
        self._clock = clock
        self._greeting = Greeting(status.identity, clock, heartbeat_interval_s)
        self.boot: StationInfo | None = None
        self.connectors: dict[int, dict[int, Connector201]] = {}
        """evseId -> connectorId (0: the EVSE itself) -> its last status; evseId
        0 is the station as a whole."""
        self._charging: dict[int, str] = {}
        self.events: Counter[tuple[str, str]] = Counter()
        """NotifyEvent events other than AvailabilityState, per (component,
        variable)."""
        self.routes: dict[str, Handler] = {
            "BootNotification": self._boot,
            "Heartbeat": self._greeting.heartbeat,
            "StatusNotification": self._status,
            "NotifyEvent": self._notify_event,
        }

    def _boot(self, p: dict[str, Any]) -> dict[str, Any]:
        station = p["chargingStation"]
        self.boot = StationInfo(
            station["vendorName"],
            station["model"],
            station.get("serialNumber"),
            station.get("firmwareVersion"),
            p["reason"],
        )
        return self._greeting.accept(self.boot, self.boot.reason)

    def _status(self, p: dict[str, Any]) -> dict[str, Any]:
        self.report(
            p["evseId"],
            p["connectorId"],
            Connector201(p["connectorStatus"]),
            charger_time(p["timestamp"]),
        )
        return {}

    def charging_state(self, evse_id: int, state: str | None) -> None:
        """The charging state of the EVSE's transaction (None: none runs)."""
        if state is None:
            self._charging.pop(evse_id, None)
        else:
            self._charging[evse_id] = state
        self._show(evse_id, None)

    def report(
        self,
        evse_id: int,
        connector_id: int,
        status: Connector201,
        timestamp: datetime | None,
    ) -> None:
        """A connector's status (connector 0: its EVSE; EVSE 0: the station)."""
        if evse_id < 0 or connector_id < 0:
            log.warning(
                "OCPP %s: status of EVSE %d connector %d ignored (below 0)",
                self.status.identity,
                evse_id,
                connector_id,
            )
            return
        key = 0 if evse_id == 0 else connector_id
        self.connectors.setdefault(evse_id, {})[key] = status
        log.info(
            "OCPP %s EVSE %d connector %d: %s",
            self.status.identity,
            evse_id,
            connector_id,
            status,
        )
        self._show(evse_id, timestamp)

    def _show(self, evse_id: int, timestamp: datetime | None) -> None:
        folded = fold(self.connectors.get(evse_id, {}))
        if folded is None:
            return
        if folded is Connector201.OCCUPIED:
            shown = _OCCUPIED_AS.get(
                self._charging.get(evse_id, ""), ConnectorStatus.PREPARING
            )
        else:
            shown = _AS_16[folded]
        faulted = folded is Connector201.FAULTED
        report = StatusReport(
            connector_id=evse_id,
            status=shown,
            error_code="OtherError" if faulted else "NoError",
            timestamp=timestamp,
            received_at=self._clock.utcnow(),
            info=f"2.0.1 {folded}",
        )
        if not self.status.take(report):
            log.warning(
                "OCPP %s: status of EVSE %d, which [ocpp] does not declare; "
                "add a connector with that id to the charger to show it",
                self.status.identity,
                evse_id,
            )

    def _notify_event(self, p: dict[str, Any]) -> dict[str, Any]:
        for event in p["eventData"]:
            component, variable = event["component"], event["variable"]
            if variable["name"] == "AvailabilityState":
                value = event["actualValue"]
                if value in frames.V201_CONNECTOR_STATUSES:
                    evse = component.get("evse") or {}
                    self.report(
                        int(evse.get("id", 0)),
                        int(evse.get("connectorId", 0)),
                        Connector201(value),
                        charger_time(event["timestamp"]),
                    )
                    continue
            key = (str(component["name"]), str(variable["name"]))
            if key not in self.events and len(self.events) >= MAX_EVENT_KINDS:
                key = OTHER_EVENTS
            self.events[key] += 1
            log.log(
                logging.INFO if self.events[key] == 1 else logging.DEBUG,
                "OCPP %s event %s.%s = %s (%s, %s)",
                self.status.identity,
                frames.shown(key[0]),
                frames.shown(key[1]),
                frames.shown(str(event["actualValue"])),
                event["trigger"],
                event["eventNotificationType"],
            )
        return {}
