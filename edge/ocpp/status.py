"""What a charger's StatusNotifications say about each of its connectors.

Kept per connector as the charger last reported it (OCPP 1.6 section 4.9), and
mapped to the EVSE vocabulary the rest of the site reads (the EVSE port's
``Phase`` and status): one EVSE per connector; a connector 0 report of
Unavailable or Faulted holds for every connector of the charger; a charger that
is not connected shows UNKNOWN. Pure: no IO, the time of receipt is given.

A connector (0: the whole charger) the charger accepted to make Inoperative
(ChangeAvailability Accepted or Scheduled, :meth:`ChargerStatus.
set_availability`) shows INOPERATIVE from then on whenever it would show
AVAILABLE, RESERVED or nothing yet: at once, not only once the charger reports
Unavailable (OCPP says it will; not every charger does), and after its session
ends when it was Scheduled. A session, a fault (OUTOFORDER) and an offline
charger (UNKNOWN) show as they are. Made Operative again, it shows what the
charger last reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from edge.evse.states import EvseStatus, Phase


class ConnectorStatus(StrEnum):
    """OCPP 1.6 ChargePointStatus (checked against the ``ocpp`` package's enum)."""

    AVAILABLE = "Available"
    PREPARING = "Preparing"
    CHARGING = "Charging"
    SUSPENDED_EVSE = "SuspendedEVSE"
    SUSPENDED_EV = "SuspendedEV"
    FINISHING = "Finishing"
    RESERVED = "Reserved"
    UNAVAILABLE = "Unavailable"
    FAULTED = "Faulted"


@dataclass(frozen=True)
class StatusReport:
    """One StatusNotification, as the charger sent it."""

    connector_id: int
    status: ConnectorStatus
    error_code: str
    """ChargePointErrorCode; ``NoError`` unless something is wrong."""
    timestamp: datetime | None
    """When the status began, per the charger (None: it did not say)."""
    received_at: datetime
    info: str | None = None
    vendor_error_code: str | None = None


_PHASES = {
    ConnectorStatus.AVAILABLE: (Phase.AVAILABLE, EvseStatus.AVAILABLE),
    ConnectorStatus.PREPARING: (Phase.PREPARING, EvseStatus.CHARGING),
    ConnectorStatus.CHARGING: (Phase.CHARGING, EvseStatus.CHARGING),
    # A session runs and no energy flows: the charger holds back, or the EV.
    ConnectorStatus.SUSPENDED_EVSE: (Phase.SUSPENDED_EVSE, EvseStatus.CHARGING),
    ConnectorStatus.SUSPENDED_EV: (Phase.SUSPENDED_EV, EvseStatus.CHARGING),
    # OCPP's Finishing: the transaction has stopped, the cable is still in.
    ConnectorStatus.FINISHING: (Phase.FINISHED, EvseStatus.CHARGING),
    ConnectorStatus.RESERVED: (Phase.AVAILABLE, EvseStatus.RESERVED),
    ConnectorStatus.UNAVAILABLE: (Phase.AVAILABLE, EvseStatus.INOPERATIVE),
    ConnectorStatus.FAULTED: (Phase.FAULTED, EvseStatus.OUTOFORDER),
}

_WHOLE = (ConnectorStatus.UNAVAILABLE, ConnectorStatus.FAULTED)


@dataclass(frozen=True)
class EvseState:
    """What one connector's EVSE shows."""

    phase: Phase
    status: EvseStatus


UNKNOWN = EvseState(Phase.STARTING, EvseStatus.UNKNOWN)
"""A connector we have no report of, or whose charger is not connected."""
INOPERATIVE = EvseState(Phase.AVAILABLE, EvseStatus.INOPERATIVE)
"""A connector made Inoperative (the phase of a charger's Unavailable)."""
_TAKEN_OUT = (EvseStatus.AVAILABLE, EvseStatus.RESERVED, EvseStatus.UNKNOWN)
"""What a connector made Inoperative no longer shows."""


@dataclass
class ChargerStatus:
    """The last report of each connector of one charger (0: the charger itself)."""

    identity: str
    connectors: dict[int, str]
    """Declared connector id -> EVSE uid."""
    online: bool = False
    reports: dict[int, StatusReport] = field(default_factory=dict)
    changed: Callable[[str], None] = lambda _uid: None
    """Called with an EVSE uid after what it shows may have changed."""
    inoperative: set[int] = field(default_factory=set)
    """Connectors (0: the whole charger) it accepted to make Inoperative."""

    def take(self, report: StatusReport) -> bool:
        """Keep ``report``; False if its connector is not declared (kept anyway)."""
        self.reports[report.connector_id] = report
        if report.connector_id == 0:
            self._tell(list(self.connectors.values()))
            return True
        uid = self.connectors.get(report.connector_id)
        if uid is None:
            return False
        self._tell([uid])
        return True

    def set_online(self, online: bool) -> None:
        """The charger connected (True) or its connection closed (False)."""
        if online != self.online:
            self.online = online
            self._tell(list(self.connectors.values()))

    def set_availability(self, connector_id: int, operative: bool) -> None:
        """The charger accepted ChangeAvailability of ``connector_id`` (0: all)."""
        if operative:
            if connector_id == 0:
                self.inoperative.clear()
            else:
                self.inoperative.discard(connector_id)
        else:
            self.inoperative.add(connector_id)
        if connector_id == 0:
            self._tell(list(self.connectors.values()))
        elif connector_id in self.connectors:
            self._tell([self.connectors[connector_id]])

    def _tell(self, uids: list[str]) -> None:
        for uid in uids:
            self.changed(uid)

    def evse(self, connector_id: int) -> EvseState:
        """The EVSE state of a declared connector."""
        if not self.online:
            return UNKNOWN
        state = self._reported(connector_id)
        if self.inoperative & {0, connector_id} and state.status in _TAKEN_OUT:
            return INOPERATIVE
        return state

    def _reported(self, connector_id: int) -> EvseState:
        whole = self.reports.get(0)
        if whole is not None and whole.status in _WHOLE:
            return EvseState(*_PHASES[whole.status])
        report = self.reports.get(connector_id)
        return UNKNOWN if report is None else EvseState(*_PHASES[report.status])

    def evses(self) -> dict[str, EvseState]:
        """EVSE uid -> state, for every declared connector."""
        return {uid: self.evse(cid) for cid, uid in self.connectors.items()}
