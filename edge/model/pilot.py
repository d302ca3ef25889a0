"""The IEC 61851-1 control pilot states, as an EVSE board reports them."""

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
