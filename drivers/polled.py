"""A profile-driven Modbus device on a bus scheduler: plan, poll, decode, publish."""

from __future__ import annotations

import logging

from drivers.errors import DeviceFault, DriverError
from drivers.modbus.coalesce import ReadBlock, plan_reads
from drivers.modbus.decode import decode_row
from drivers.modbus.profile import PollClass, Profile, RegisterSpec
from drivers.modbus.scheduler import BlockResult, BusScheduler, DeviceCounters, Poller
from drivers.ports import ReadingSink
from edge.model.clock import Clock
from edge.model.events import DeviceReading, DeviceSilent
from edge.model.measurement import Measurement

log = logging.getLogger(__name__)


def _rows_in(block: ReadBlock, rows: tuple[RegisterSpec, ...]) -> list[RegisterSpec]:
    return [
        r
        for r in rows
        if r.function is block.function
        and block.address <= r.address
        and r.end <= block.end
    ]


class PolledDevice:
    """Reads its profile's rows every poll and publishes a :class:`DeviceReading`."""

    def __init__(
        self,
        name: str,
        profile: Profile,
        unit: int,
        scheduler: BusScheduler,
        clock: Clock,
        interval_s: float = 1.0,
    ) -> None:
        self.name = name
        self.profile = profile
        self.unit = unit
        self.scheduler = scheduler
        self.clock = clock
        self._sinks: list[ReadingSink] = []
        self.last: dict[Measurement, float | str] = {}
        cap, gaps = profile.max_registers_per_request, profile.unreadable
        fast = [r for r in profile.registers if r.poll is PollClass.FAST]
        slow = [r for r in profile.registers if r.poll is PollClass.SLOW]
        self.poller = Poller(
            name=name,
            unit=unit,
            fast=plan_reads(fast, cap, gaps),
            slow=plan_reads(slow, cap, gaps),
            interval_s=interval_s,
            on_result=self._on_result,
        )
        scheduler.add(self.poller)

    @property
    def counters(self) -> DeviceCounters:
        """Wire counters for this device."""
        return self.poller.counters

    def subscribe(self, sink: ReadingSink) -> None:
        """Deliver every poll outcome to ``sink``."""
        self._sinks.append(sink)

    def _publish(self, item: DeviceReading | DeviceSilent) -> None:
        for sink in self._sinks:
            sink(item)

    def _on_result(self, result: BlockResult | DriverError) -> None:
        now = self.clock.monotonic()
        if isinstance(result, DriverError):
            self._publish(DeviceSilent(self.name, str(result), now))
            return
        values: dict[Measurement, float | str] = {}
        try:
            for block, words in result.items():
                for row in _rows_in(block, self.profile.registers):
                    offset = row.address - block.address
                    value = decode_row(row, words[offset : offset + row.count])
                    if value is not None:
                        values[row.measurement] = value
        except DeviceFault as exc:
            # An impossible value is a bad answer: never publish part of it.
            self.counters.exceptions += 1
            self.counters.last_error = str(exc)
            log.warning("%s: %s", self.name, exc)
            self._publish(DeviceSilent(self.name, str(exc), now))
            return
        self.last.update(values)
        self._publish(
            DeviceReading(self.name, dict(self.last), now, self.clock.utcnow())
        )
