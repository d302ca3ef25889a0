"""OCPP 1.6J requests a charger sends us, answered (payloads already valid).

Each handler takes the validated payload, turns it into a typed record at this
boundary, updates what we know of the charger, and returns the CALLRESULT
payload. BootNotification of a declared charger is Accepted with our heartbeat
interval (an undeclared one never got past the handshake); Heartbeat gives the
time; StatusNotification is kept per connector (:mod:`edge.ocpp.status`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from edge.model.clock import Clock
from edge.ocpp.handlers.greeting import Greeting
from edge.ocpp.handlers.refusal import PayloadRefused
from edge.ocpp.status import ChargerStatus, ConnectorStatus, StatusReport
from edge.ocpp.times import charger_time

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], dict[str, Any] | Awaitable[dict[str, Any]]]
"""A request's payload in, its CALLRESULT payload out (awaited if a coroutine)."""

KNOWN_UNSUPPORTED = frozenset({
    "StartTransaction", "StopTransaction", "MeterValues", "DataTransfer",
    "DiagnosticsStatusNotification", "FirmwareStatusNotification",
})  # fmt: skip
"""1.6 requests of a charger that this slice does not answer yet (NotSupported)."""


@dataclass(frozen=True)
class BootInfo:
    """What a charger says of itself in BootNotification."""

    vendor: str
    model: str
    serial_number: str | None
    firmware_version: str | None


class V16Handlers:
    """The 1.6J requests of one connected charger."""

    def __init__(
        self, status: ChargerStatus, clock: Clock, heartbeat_interval_s: int
    ) -> None:
        self.status = status
        self._clock = clock
        self._greeting = Greeting(status.identity, clock, heartbeat_interval_s)
        self.boot: BootInfo | None = None
        self.routes: dict[str, Handler] = {
            "BootNotification": self._boot,
            "Heartbeat": self._greeting.heartbeat,
            "StatusNotification": self._status,
        }

    def _boot(self, p: dict[str, Any]) -> dict[str, Any]:
        self.boot = BootInfo(
            p["chargePointVendor"],
            p["chargePointModel"],
            p.get("chargePointSerialNumber"),
            p.get("firmwareVersion"),
        )
        return self._greeting.accept(self.boot)

    def _status(self, p: dict[str, Any]) -> dict[str, Any]:
        if p["connectorId"] < 0:  # the 1.6 schema has no minimum; the text has
            raise PayloadRefused.property("connectorId: below 0")
        stamp = p.get("timestamp")
        report = StatusReport(
            connector_id=p["connectorId"],
            status=ConnectorStatus(p["status"]),
            error_code=p["errorCode"],
            timestamp=None if stamp is None else charger_time(stamp),
            received_at=self._clock.utcnow(),
            info=p.get("info"),
            vendor_error_code=p.get("vendorErrorCode"),
        )
        if not self.status.take(report):
            log.warning(
                "OCPP %s: status of connector %d, which [ocpp] does not declare; "
                "add it to the charger's connectors to show it",
                self.status.identity,
                report.connector_id,
            )
        log.info(
            "OCPP %s connector %d: %s (%s)",
            self.status.identity,
            report.connector_id,
            report.status,
            report.error_code,
        )
        return {}
