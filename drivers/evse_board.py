"""The generic EVSE board: any board profile, one driver.

A board whose profile declares a ``[watchdog]`` drops to its safe current when
its setpoint is not rewritten within the period (Alfen's "validity time"). The
driver hands every command it writes to the bus scheduler as that board's feed
(:meth:`drivers.modbus.scheduler.BusScheduler.feed`), owned by the task that
commanded it (the EVSE's controller): the scheduler rewrites the last command
every third of the period while that task lives, disabled as well as enabled
(a board left to lapse while disabled would fall back to its safe current and
start charging on its own), and stops once it has ended.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable

from drivers.errors import ProfileError
from drivers.modbus.client import ModbusClient
from drivers.modbus.profile import ControlSpec, RegisterSpec
from drivers.polled import PolledDevice
from edge.model.events import BoardReading, BoardSink, DeviceReading, DeviceSilent
from edge.model.measurement import Measurement
from edge.model.pilot import CpState

Job = Callable[[ModbusClient], Awaitable[None]]

LATCH = "disable_after_charge"
"""The control of a board that disables itself once the EV leaves (EVSE-WB)."""
UNLOCK = "unlock"
"""The control that releases the cable lock (no profile of ours has one yet)."""


def _flag(raw: DeviceReading, m: Measurement) -> bool | None:
    value = raw.number(m)
    return None if value is None else value >= 0.5


def board_reading(raw: DeviceReading) -> BoardReading | None:
    """The board's reading in one poll's raw values; None without a CP state."""
    cp = raw.values.get(Measurement.CP_STATE)
    if not isinstance(cp, str) or cp not in CpState.__members__:
        return None
    return BoardReading(
        raw.device,
        raw.mono,
        CpState(cp),
        _flag(raw, Measurement.RELAY_CLOSED),
        _flag(raw, Measurement.CHARGING_ENABLED),
    )


class ProfileEvseBoard(PolledDevice):
    """A board read and controlled through its profile."""

    def watch(self, sink: BoardSink) -> None:
        """Deliver every poll with a CP state as a :class:`BoardReading`."""

        def typed(item: DeviceReading | DeviceSilent) -> None:
            if isinstance(item, DeviceSilent):
                sink(item)
            elif (reading := board_reading(item)) is not None:
                sink(reading)

        self.subscribe(typed)

    @property
    def latches_after_charge(self) -> bool:
        """The board disables itself after the EV leaves, until enabled again.

        Declared by the profile: a ``control.disable_after_charge`` (the bits
        that arm the latch) and a ``charging_enabled`` row in the same register
        (the board's own enable, which the latch clears).
        """
        return self._latch() is not None

    @property
    def has_lock(self) -> bool:
        """The profile declares a cable-lock release (``control.unlock``)."""
        return UNLOCK in self.profile.controls

    async def unlock(self) -> None:
        """Release the cable lock: write the unlock control's ``on`` value."""
        control = self._control(UNLOCK)
        await self._write(control, control.on if control.on is not None else 1)

    def _latch(self) -> tuple[ControlSpec, RegisterSpec] | None:
        control = self.profile.controls.get(LATCH)
        row = self.profile.register(Measurement.CHARGING_ENABLED)
        if control is None or row is None or row.bit is None:
            return None
        if control.address != row.address or control.on is None:
            raise ProfileError(
                f"profile {self.profile.id}: control.{LATCH} needs 'on' and the "
                "address of the charging_enabled row"
            )
        return control, row

    @property
    def watchdog_s(self) -> float | None:
        """The board's watchdog period (s), if its profile declares one."""
        return self.profile.watchdog_s

    async def set_charging(self, enabled: bool, current_a: float) -> None:
        """Enable charging at ``current_a`` A, or disable it (priority lane).

        On a latching board, enabling also arms the latch and clears the
        board's disable (read-modify-write of that one register, after the
        current limit: the offer starts once the register is written). On a
        board with a watchdog the command becomes its feed first, so that a
        command that fails here is retried by the feed.
        """
        job = self._offer(enabled, current_a)
        period = self.profile.watchdog_s
        if period is not None:
            self.scheduler.feed(
                self.name,
                self.unit,
                job,
                period,
                self.counters,
                self.timeout_s,
                owner=asyncio.current_task(),
            )
        await self.scheduler.write(self.unit, job, self.counters, self.timeout_s)
        latch = self._latch()
        if enabled and latch is not None:
            await self._arm(*latch)

    def _offer(self, enabled: bool, current_a: float) -> Job:
        """The writes of one command: current limit and, if separate, enable."""
        limit = self._control("current_limit")
        enable = self.profile.controls.get("enable")
        amps = math.floor(current_a) if enabled else 0
        writes: list[Job] = []
        if enable is not None and enable.via == "current_limit":
            off = enable.off if enable.off is not None else 0
            writes.append(self._writer(limit, amps / limit.scale if enabled else off))
        else:
            if enabled:
                writes.append(self._writer(limit, amps / limit.scale))
            if enable is not None:
                value = enable.on if enabled else enable.off
                writes.append(
                    self._writer(enable, value if value is not None else int(enabled))
                )

        async def run(client: ModbusClient) -> None:
            for write in writes:
                await write(client)

        return run

    async def _arm(self, control: ControlSpec, row: RegisterSpec) -> None:
        """Set the latch bits and the enable bit; keep every other bit as it is."""
        address, unit = row.address, self.unit
        on = control.on or 0
        enable_bit = 1 << (row.bit or 0)
        function = int(control.function) if control.function is not None else 16

        async def run(client: ModbusClient) -> None:
            [word] = await client.read(unit, int(row.function), address, 1)
            wanted = word | on
            wanted = wanted & ~enable_bit if row.inverted else wanted | enable_bit
            if wanted != word:  # a configuration register: no needless writes
                await client.write_registers(unit, address, [wanted], function)

        await self.scheduler.write(unit, run, self.counters, self.timeout_s)
