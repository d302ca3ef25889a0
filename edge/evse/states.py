"""EVSE phases, IEC 61851 control-pilot states and their OCPI status."""

from __future__ import annotations

from enum import StrEnum


class CpState(StrEnum):
    """IEC 61851-1 control pilot state as the board reports it."""

    A = "A"  # no vehicle
    B = "B"  # vehicle connected, not requesting
    C = "C"  # vehicle requests energy
    D = "D"  # requests energy, ventilation needed
    E = "E"  # CP shorted / no supply: error
    F = "F"  # EVSE not available: error

    @property
    def connected(self) -> bool:
        """A vehicle is plugged in."""
        return self in (CpState.B, CpState.C, CpState.D)

    @property
    def error(self) -> bool:
        """The pilot signals an error."""
        return self in (CpState.E, CpState.F)


class Phase(StrEnum):
    """Where an EVSE is in its life."""

    STARTING = "STARTING"  # after start-up: contactor open until state is known
    AVAILABLE = "AVAILABLE"  # no EV, no session
    PREPARING = "PREPARING"  # EV plugged in, waiting for authorization
    CHARGING = "CHARGING"  # session active, EV requesting, contactor enabled
    SUSPENDED_EV = "SUSPENDED_EV"  # session active, EV not requesting (full, paused)
    FINISHING = "FINISHING"  # session stopping: waiting for the final meter reading
    FINISHED = "FINISHED"  # session closed, EV still plugged in
    FAULTED = "FAULTED"  # safe state: contactor open, reason recorded


class OcpiEvseStatus(StrEnum):
    """OCPI 2.2.1 EVSE Status."""

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
    RELAY_WELDED = "RELAY_WELDED"
    """The board reports its relay closed although it is commanded open."""
    RELAY_NOT_CLOSED = "RELAY_NOT_CLOSED"
    """The board's relay stayed open while commanded closed and the EV asked."""

    @property
    def status(self) -> OcpiEvseStatus:
        """OCPI status shown while this fault holds."""
        if self in (FaultKind.METER_SILENT, FaultKind.BOARD_SILENT):
            return OcpiEvseStatus.INOPERATIVE
        return OcpiEvseStatus.OUTOFORDER
