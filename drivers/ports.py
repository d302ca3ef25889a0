"""What the domain may ask of hardware: the ports, with their units."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from edge.model.events import DeviceReading, DeviceSilent

ReadingSink = Callable[[DeviceReading | DeviceSilent], None]
"""Where a device delivers every poll's outcome."""


class MeterPort(Protocol):
    """An energy meter. Readings carry energy in Wh, power in W, current in A."""

    name: str

    def subscribe(self, sink: ReadingSink) -> None:
        """Deliver every poll outcome to ``sink``."""
        ...


class EvseBoardPort(Protocol):
    """An EVSE board: CP state (symbol A..F), current limit in A, relay state."""

    name: str

    def subscribe(self, sink: ReadingSink) -> None:
        """Deliver every poll outcome to ``sink``."""
        ...

    async def set_charging(self, enabled: bool, current_a: float) -> None:
        """Enable charging at ``current_a`` amperes (per phase) or disable it.

        Raises :class:`drivers.errors.DriverError` if the board did not take it.
        """
        ...


class ContactorPort(Protocol):
    """A contactor switched by a relay channel, with its mirror contact read back."""

    name: str

    def subscribe(self, sink: ReadingSink) -> None:
        """Deliver every poll outcome of the relay module to ``sink``."""
        ...

    async def switch(self, closed: bool) -> None:
        """Energise (close) or release (open) the contactor's coil."""
        ...

    def welded(self) -> bool | None:
        """True if the mirror contact says the main contacts stayed closed.

        None while unknown (not read yet, or a command still settling).
        """
        ...


class TokenReaderPort(Protocol):
    """A card reader: delivers normalised uids (upper-case hex) as they are read."""

    name: str

    def subscribe(self, sink: Callable[[str], None]) -> None:
        """Deliver every card read to ``sink``."""
        ...
