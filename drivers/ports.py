"""What the domain may ask of hardware: the ports, with their units.

Each port delivers its device kind's typed reading (:mod:`edge.model.events`)
after every poll, or :class:`~edge.model.events.DeviceSilent` when the device
did not answer. The raw poll (every profile row by measurement) is the generic
driver's own (:meth:`drivers.polled.PolledDevice.subscribe`), for tooling.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from edge.model.events import (
    BoardSink,
    ContactorSink,
    DeviceReading,
    DeviceSilent,
    MeterSink,
)

ReadingSink = Callable[[DeviceReading | DeviceSilent], None]
"""Where a device delivers every poll's raw outcome."""


class MeterPort(Protocol):
    """An energy meter. Readings carry energy in Wh, power in W, current in A."""

    name: str

    def watch(self, sink: MeterSink) -> None:
        """Deliver every poll's :class:`~edge.model.events.MeterReading` to ``sink``."""
        ...


class EvseBoardPort(Protocol):
    """An EVSE board: CP state (A..F), current limit in A, relay state."""

    name: str

    def watch(self, sink: BoardSink) -> None:
        """Deliver every poll's :class:`~edge.model.events.BoardReading` to ``sink``."""
        ...

    async def set_charging(self, enabled: bool, current_a: float) -> None:
        """Enable charging at ``current_a`` amperes (per phase) or disable it.

        Raises :class:`drivers.errors.DriverError` if the board did not take it.
        """
        ...


class ContactorPort(Protocol):
    """A contactor switched by a relay channel, with its mirror contact read back."""

    name: str

    def watch(self, sink: ContactorSink) -> None:
        """Deliver every poll's :class:`~edge.model.events.ContactorReading`."""
        ...

    async def switch(self, closed: bool) -> None:
        """Energise (close) or release (open) the contactor's coil."""
        ...


class TokenReaderPort(Protocol):
    """A card reader: delivers normalised uids (upper-case hex) as they are read."""

    name: str

    def subscribe(self, sink: Callable[[str], None]) -> None:
        """Deliver every card read to ``sink``."""
        ...
