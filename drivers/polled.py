"""A profile-driven Modbus device on a bus scheduler: plan, poll, decode, publish."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from drivers.errors import DeviceFault, DriverError, ProfileError
from drivers.modbus import sunspec
from drivers.modbus.client import ModbusClient
from drivers.modbus.coalesce import ReadBlock
from drivers.modbus.codec import encode
from drivers.modbus.counters import DeviceCounters
from drivers.modbus.cycle import NOMINAL_TCP_LINE, FrameCost, cycle_plans
from drivers.modbus.decode import decode_image, image_from_blocks
from drivers.modbus.profile import (
    ControlSpec,
    Function,
    Profile,
    RegisterSpec,
    WriteFunction,
)
from drivers.modbus.scheduler import BlockResult, BusScheduler, Poller
from drivers.ports import ReadingSink
from edge.model.clock import Clock
from edge.model.events import DeviceReading, DeviceSilent
from edge.model.measurement import Measurement

log = logging.getLogger(__name__)

CUMULATIVE = (Measurement.ENERGY_IMPORT, Measurement.ENERGY_EXPORT)


def _rows_in(
    blocks: list[ReadBlock], rows: tuple[RegisterSpec, ...]
) -> list[RegisterSpec]:
    """Rows read whole by ``blocks``, with their scale factor if they have one."""

    def read(function: object, address: int, count: int = 1) -> bool:
        return any(
            b.function == function and b.address <= address and address + count <= b.end
            for b in blocks
        )

    return [
        r
        for r in rows
        if read(r.function, r.address, r.count)
        and (r.sf_address is None or read(r.function, r.sf_address))
    ]


class PolledDevice:
    """Reads its profile's rows in cycles and publishes a :class:`DeviceReading`.

    Fast rows come every poll, slow rows in rotation; each poll's frames are
    the cheapest on this bus (see :mod:`drivers.modbus.cycle`). A reading
    carries the latest value of every row read so far, each with the time it
    was read (a slow row keeps the time of its last read, not the poll's); a
    row that answered "not available" is dropped, and listed as unavailable.
    """

    def __init__(
        self,
        name: str,
        profile: Profile,
        unit: int,
        scheduler: BusScheduler,
        clock: Clock,
        interval_s: float = 1.0,
        timeout_s: float | None = None,
    ) -> None:
        self.name = name
        self.profile = profile
        self.unit = unit
        self.scheduler = scheduler
        self.clock = clock
        self.timeout_s = timeout_s
        self._sinks: list[ReadingSink] = []
        self.last: dict[Measurement, float | str] = {}
        self.read_at: dict[Measurement, float] = {}
        """When each value of :attr:`last` was read on the wire (site-monotonic)."""
        self.last_channels: dict[tuple[Measurement, int], float | str] = {}
        """Values of rows that repeat per channel (relay modules)."""
        self.poller = Poller(
            name=name,
            unit=unit,
            cycles=[],
            interval_s=interval_s,
            on_result=self._on_result,
            timeout_s=timeout_s,
        )
        if not profile.relative:  # else polled once located
            self._plan(profile)
            scheduler.add(self.poller)

    @property
    def located(self) -> bool:
        """Whether the profile's addresses are known (see :meth:`locate`)."""
        return not self.profile.relative

    def _plan(self, profile: Profile) -> None:
        line = self.scheduler.client.endpoint.line or NOMINAL_TCP_LINE
        cost = FrameCost(line, profile.turnaround_ms / 1000)
        self.profile = profile
        self.poller.cycles = cycle_plans(profile, cost)

    async def locate(self, retry_s: float = 10.0, max_retry_s: float = 300.0) -> None:
        """Find a SunSpec profile's model on the device, then start polling it.

        Until then the device is not polled, publishes nothing, and so reads as
        silent to its EVSE (contactor open). Retries, backing off, until found.
        """
        delay = retry_s
        while self.profile.relative:
            try:
                self._plan(await sunspec.locate(self._read_once, self.profile))
                self.scheduler.add(self.poller)
            except ProfileError as exc:
                log.warning("%s: %s; retrying in %g s", self.name, exc, delay)
                await self.clock.sleep(delay)
                delay = min(delay * 2, max_retry_s)
            else:
                log.info("%s: SunSpec model at %d", self.name, self.profile.base)

    async def _read_once(
        self, function: Function, address: int, count: int
    ) -> list[int] | None:
        """One read in the bus's priority lane: the words, or None (no answer)."""
        words: list[int] = []

        async def run(client: ModbusClient) -> None:
            words.extend(await client.read(self.unit, int(function), address, count))

        try:
            await self.scheduler.write(self.unit, run, self.counters, self.timeout_s)
        except DriverError:
            return None
        return words

    @property
    def counters(self) -> DeviceCounters:
        """Wire counters for this device."""
        return self.poller.counters

    def subscribe(self, sink: ReadingSink) -> None:
        """Deliver every poll outcome to ``sink``."""
        self._sinks.append(sink)

    def _control(self, name: str) -> ControlSpec:
        control = self.profile.controls.get(name)
        if control is None:
            raise ProfileError(f"profile {self.profile.id} has no control.{name}")
        return control

    def _writer(
        self, control: ControlSpec, raw: int | float
    ) -> Callable[[ModbusClient], Awaitable[None]]:
        """One control write, to run in the priority lane (or as a watchdog feed)."""
        if control.address is None or control.function is None:
            raise ProfileError(f"profile {self.profile.id}: control without an address")
        address, function, unit = control.address, control.function, self.unit

        async def run(client: ModbusClient) -> None:
            if function is WriteFunction.WRITE_COIL:
                await client.write_coil(unit, address, bool(raw))
            else:
                words = encode(raw, control.type, control.word_order)
                await client.write_registers(unit, address, words, int(function))

        return run

    async def _write(self, control: ControlSpec, raw: int | float) -> None:
        """Write one control in the bus's priority lane."""
        run = self._writer(control, raw)
        await self.scheduler.write(self.unit, run, self.counters, self.timeout_s)

    def _publish(self, item: DeviceReading | DeviceSilent) -> None:
        for sink in self._sinks:
            sink(item)

    def _on_result(self, result: BlockResult | DriverError) -> None:
        now = self.clock.monotonic()
        if isinstance(result, DriverError):
            self._publish(DeviceSilent(self.name, str(result), now))
            return
        blocks = list(result)
        try:
            image = image_from_blocks(blocks, [result[b] for b in blocks])
            decoded = decode_image(_rows_in(blocks, self.profile.registers), image)
        except DeviceFault as exc:
            # An impossible value is a bad answer: never publish part of it.
            self.counters.bad_values += 1
            self.counters.last_error = str(exc)
            log.warning("%s: %s", self.name, exc)
            self._publish(DeviceSilent(self.name, str(exc), now))
            return
        values: dict[Measurement, float | str] = {}
        unavailable: set[Measurement] = set()
        for row, v in decoded:
            if row.channel is not None:
                if v is not None:
                    self.last_channels[(row.measurement, row.channel)] = v
            elif v is None:
                unavailable.add(row.measurement)
            else:
                values[row.measurement] = v
        for m in CUMULATIVE:
            before, after = self.last.get(m), values.get(m)
            if (
                isinstance(before, float)
                and isinstance(after, float)
                and after < before
            ):
                # Counted here for the wire's record; whether a reading is
                # believed is the EVSE's judge's call (edge.evse.reading_judge).
                self.counters.regressions += 1
                log.debug("%s: %s went back from %s to %s", self.name, m, before, after)
        # A register that answered "not available" has no value now: its last
        # one is not carried on as if it were still true.
        for m in unavailable - values.keys():
            self.last.pop(m, None)
            self.read_at.pop(m, None)
        self.last.update(values)
        self.read_at.update(dict.fromkeys(values, now))
        self._publish(
            DeviceReading(
                self.name,
                dict(self.last),
                now,
                self.clock.utcnow(),
                dict(self.read_at),
                frozenset(unavailable - values.keys()),
            )
        )
