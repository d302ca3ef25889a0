"""EVSE phases, faults and their OCPI status (the pilot states: edge.model.pilot)."""

from __future__ import annotations

from enum import StrEnum

from edge.model.pilot import CpState as CpState


class Phase(StrEnum):
    """Where an EVSE is in its life."""

    STARTING = "STARTING"  # after start-up: contactor open until state is known
    AVAILABLE = "AVAILABLE"  # no EV, no session
    PREPARING = "PREPARING"  # EV plugged in, waiting for authorization
    CHARGING = "CHARGING"  # session active, EV requesting, contactor enabled
    SUSPENDED_EV = "SUSPENDED_EV"  # session active, EV not requesting (full, paused)
    SUSPENDED_EVSE = "SUSPENDED_EVSE"
    """Session active, the EVSE offers the EV nothing: a 0 A pause (load
    management), a latched board. The driver's "waiting for power"; OCPP's
    SuspendedEVSE; OCPI status CHARGING (the session runs)."""
    FINISHING = "FINISHING"  # session stopping: waiting for the final meter reading
    FINISHED = "FINISHED"  # session closed, EV still plugged in
    FAULTED = "FAULTED"  # safe state: contactor open, reason recorded


class EvseStatus(StrEnum):
    """An EVSE's status as the site sees it.

    OCPI's EVSE Status is mapped from it in ``edge/uplink/ocpi/push/mapping.py`` only.
    """

    AVAILABLE = "AVAILABLE"
    BLOCKED = "BLOCKED"
    CHARGING = "CHARGING"
    INOPERATIVE = "INOPERATIVE"
    OUTOFORDER = "OUTOFORDER"
    PLANNED = "PLANNED"
    REMOVED = "REMOVED"
    RESERVED = "RESERVED"
    UNKNOWN = "UNKNOWN"


class FaultKind(StrEnum):
    """Why an EVSE is in its safe state."""

    METER_SILENT = "METER_SILENT"
    BOARD_SILENT = "BOARD_SILENT"
    CP_ERROR = "CP_ERROR"
    WELDED_CONTACTOR = "WELDED_CONTACTOR"
    """The contactor's mirror contact says its main contacts stayed closed."""
    CONTACTOR_NOT_CLOSED = "CONTACTOR_NOT_CLOSED"
    """The contactor's mirror contact says its main contacts stayed open although
    its coil was switched on (a burnt coil, a contactor that no longer pulls in)."""
    RELAY_WELDED = "RELAY_WELDED"
    """The board reports its relay closed although it is commanded open."""
    RELAY_NOT_CLOSED = "RELAY_NOT_CLOSED"
    """The board's relay stayed open while commanded closed and the EV asked."""

    @property
    def status(self) -> EvseStatus:
        """OCPI status shown while this fault holds."""
        if self in (FaultKind.METER_SILENT, FaultKind.BOARD_SILENT):
            return EvseStatus.INOPERATIVE
        return EvseStatus.OUTOFORDER
