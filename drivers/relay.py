"""The generic relay module: coils switch contactors, mirror contacts report them.

Each channel's discrete input is wired to the normally-closed auxiliary
("mirror") contact of the contactor its coil drives: the mirror is closed while
the main contacts are open. After a command has had ``settle_s`` to act, the
coil and the mirror must disagree; a mirror still open with the coil off means
the main contacts did not open (welded), a mirror still closed with the coil on
means they did not close.
"""

from __future__ import annotations

from enum import StrEnum

from drivers.modbus.profile import Profile
from drivers.modbus.scheduler import BusScheduler
from drivers.polled import PolledDevice
from edge.model.clock import Clock
from edge.model.events import (
    ContactorReading,
    ContactorSink,
    DeviceReading,
    DeviceSilent,
)
from edge.model.measurement import Measurement

SETTLE_S = 0.5
"""Contactors pull in and drop out within ~50-100 ms; leave room for a poll."""


class ContactorCheck(StrEnum):
    """What coil and mirror contact say about one contactor."""

    OK = "ok"
    WELDED = "welded"
    NOT_CLOSED = "not_closed"
    UNKNOWN = "unknown"


class ProfileRelay(PolledDevice):
    """A relay module read and switched through its profile."""

    def __init__(
        self,
        name: str,
        profile: Profile,
        unit: int,
        scheduler: BusScheduler,
        clock: Clock,
        interval_s: float = 1.0,
        timeout_s: float | None = None,
        settle_s: float = SETTLE_S,
    ) -> None:
        super().__init__(name, profile, unit, scheduler, clock, interval_s, timeout_s)
        self.settle_s = settle_s
        self._commanded: dict[int, tuple[bool, float]] = {}

    async def set_relay(self, channel: int, on: bool) -> None:
        """Switch ``channel``'s coil (priority lane)."""
        control = self._control(f"relay_{channel}")
        value = control.on if on else control.off
        await self._write(control, value if value is not None else int(on))
        self._commanded[channel] = (on, self.clock.monotonic())

    def coil(self, channel: int) -> bool | None:
        """The coil state last read, if any."""
        v = self.last_channels.get((Measurement.COIL, channel))
        return None if not isinstance(v, float) else v >= 0.5

    def mirror_closed(self, channel: int) -> bool | None:
        """Whether the mirror contact (closed = main contacts open) was last closed."""
        v = self.last_channels.get((Measurement.MIRROR_CONTACT, channel))
        return None if not isinstance(v, float) else v >= 0.5

    def check(self, channel: int) -> ContactorCheck:
        """Compare coil and mirror once the last command has settled."""
        coil, mirror = self.coil(channel), self.mirror_closed(channel)
        commanded = self._commanded.get(channel)
        settling = (
            commanded is not None
            and self.clock.monotonic() - commanded[1] < self.settle_s
        )
        if coil is None or mirror is None or settling:
            return ContactorCheck.UNKNOWN
        if not coil and not mirror:
            return ContactorCheck.WELDED
        if coil and mirror:
            return ContactorCheck.NOT_CLOSED
        return ContactorCheck.OK


class RelayChannel:
    """One relay-module channel as a contactor (a ``drivers.ports.ContactorPort``)."""

    def __init__(self, relay: ProfileRelay, channel: int) -> None:
        self.relay = relay
        self.channel = channel
        self.name = f"{relay.name}#{channel}"

    def watch(self, sink: ContactorSink) -> None:
        """After every poll of the relay module: the mirror contact's verdict."""

        def typed(item: DeviceReading | DeviceSilent) -> None:
            if isinstance(item, DeviceSilent):
                sink(item)
            else:
                check = self.relay.check(self.channel)
                known = check is not ContactorCheck.UNKNOWN
                sink(
                    ContactorReading(
                        self.name,
                        item.mono,
                        check is ContactorCheck.WELDED if known else None,
                        check is ContactorCheck.NOT_CLOSED if known else None,
                    )
                )

        self.relay.subscribe(typed)

    async def switch(self, closed: bool) -> None:
        """Switch this channel's coil."""
        await self.relay.set_relay(self.channel, closed)

    def welded(self) -> bool | None:
        """The mirror contact's verdict once the last command has settled."""
        check = self.relay.check(self.channel)
        if check is ContactorCheck.UNKNOWN:
            return None
        return check is ContactorCheck.WELDED
