"""One scheduler per physical bus: one transaction at a time, control first.

Pollers (one per device) register their read plan; the scheduler's single task
runs due polls transaction by transaction and, between any two transactions,
runs queued control writes first, so a contactor write waits at most for the
transaction in flight. A device that stops answering is backed off (doubling up
to a bound) so that it cannot starve the rest of the bus.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from drivers.errors import BusError, DeviceFault, DeviceTimeout, DriverError
from drivers.modbus.client import ModbusClient
from drivers.modbus.coalesce import ReadBlock
from edge.model.clock import Clock

log = logging.getLogger(__name__)

BlockResult = dict[ReadBlock, list[int]]


@dataclass
class DeviceCounters:
    """What happened on the wire for one device (readable by the controller)."""

    transactions: int = 0
    timeouts: int = 0
    exceptions: int = 0
    bus_errors: int = 0
    last_latency_ms: float = 0.0
    max_latency_ms: float = 0.0
    latency_total_ms: float = 0.0
    last_error: str | None = None

    def record(self, latency_ms: float) -> None:
        """Count one answered transaction."""
        self.transactions += 1
        self.last_latency_ms = latency_ms
        self.max_latency_ms = max(self.max_latency_ms, latency_ms)
        self.latency_total_ms += latency_ms


@dataclass
class Poller:
    """A device's periodic read plan and where its results go."""

    name: str
    unit: int
    fast: Sequence[ReadBlock]
    slow: Sequence[ReadBlock]
    interval_s: float
    on_result: Callable[[BlockResult | DriverError], None]
    slow_every: int = 10
    max_backoff_s: float = 30.0
    counters: DeviceCounters = field(default_factory=DeviceCounters)
    next_due: float = 0.0
    failures: int = 0
    cycle: int = 0


@dataclass
class _Write:
    unit: int
    run: Callable[[], Awaitable[None]]
    done: asyncio.Future[None]
    counters: DeviceCounters | None


class BusScheduler:
    """Owns one :class:`ModbusClient`; everything on that bus goes through here."""

    def __init__(self, name: str, client: ModbusClient, clock: Clock) -> None:
        self.name = name
        self.client = client
        self.clock = clock
        self.pollers: list[Poller] = []
        self._writes: asyncio.Queue[_Write] = asyncio.Queue()
        self._wake = asyncio.Event()

    def add(self, poller: Poller) -> None:
        """Register a device's poll plan."""
        poller.next_due = self.clock.monotonic()
        self.pollers.append(poller)

    def counters(self, name: str) -> DeviceCounters | None:
        """The counters of the device called ``name``."""
        for p in self.pollers:
            if p.name == name:
                return p.counters
        return None

    async def write(
        self,
        unit: int,
        run: Callable[[ModbusClient], Awaitable[None]],
        counters: DeviceCounters | None = None,
    ) -> None:
        """Run a control write in the priority lane; raise what it raised."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._writes.put_nowait(_Write(unit, lambda: run(self.client), fut, counters))
        self._wake.set()
        await fut

    async def _run_writes(self) -> None:
        while not self._writes.empty():
            w = self._writes.get_nowait()
            if w.done.cancelled():
                continue
            t0 = time.perf_counter()
            try:
                await w.run()
            except DriverError as exc:
                if w.counters is not None:
                    w.counters.last_error = str(exc)
                if not w.done.done():
                    w.done.set_exception(exc)
                continue
            if w.counters is not None:
                w.counters.record((time.perf_counter() - t0) * 1000)
            if not w.done.done():
                w.done.set_result(None)

    async def _poll(self, p: Poller) -> None:
        p.cycle += 1
        blocks = list(p.fast)
        if p.slow and (p.cycle % p.slow_every == 1 or p.slow_every <= 1):
            blocks += list(p.slow)
        result: BlockResult = {}
        for block in blocks:
            await self._run_writes()
            t0 = time.perf_counter()
            try:
                words = await self.client.read(
                    p.unit, int(block.function), block.address, block.count
                )
            except DriverError as exc:
                self._failed(p, exc)
                p.on_result(exc)
                return
            p.counters.record((time.perf_counter() - t0) * 1000)
            result[block] = words
        p.failures = 0
        p.next_due = self.clock.monotonic() + p.interval_s
        p.on_result(result)

    def _failed(self, p: Poller, exc: DriverError) -> None:
        c = p.counters
        c.last_error = str(exc)
        if isinstance(exc, DeviceTimeout):
            c.timeouts += 1
        elif isinstance(exc, DeviceFault):
            c.exceptions += 1
        elif isinstance(exc, BusError):
            c.bus_errors += 1
        p.failures += 1
        backoff = min(p.max_backoff_s, p.interval_s * (2 ** min(p.failures - 1, 10)))
        p.next_due = self.clock.monotonic() + backoff
        if p.failures in (1, 10) or p.failures % 100 == 0:
            log.warning("%s on %s: %s (failure %d)", p.name, self.name, exc, p.failures)

    async def run(self) -> None:
        """The bus loop: until cancelled."""
        try:
            while True:
                await self._run_writes()
                now = self.clock.monotonic()
                due = [p for p in self.pollers if p.next_due <= now]
                if due:
                    await self._poll(min(due, key=lambda p: p.next_due))
                    continue
                wait = min((p.next_due for p in self.pollers), default=now + 1.0) - now
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.clock.to_wall(wait))
        finally:
            self.client.close()
            while not self._writes.empty():
                w = self._writes.get_nowait()
                if not w.done.done():
                    w.done.set_exception(BusError(f"bus {self.name} stopped"))
