"""One scheduler per physical bus: one transaction at a time, control first.

Pollers (one per device) register their read plan: the frames of each cycle of
their rotation. The scheduler's single task runs due polls frame by frame and,
before every frame (and every retry), runs queued control writes first, so a
contactor write waits at most for the transaction in flight.

Failures: a frame that times out or comes back garbled is retried up to the
bus's ``retries`` while the device is healthy; a device whose poll failed is
not retried but backed off, doubling from its interval up to ``max_backoff_s``,
and never sooner than nine times the bus time its last failure cost, so a
silent device takes at most a tenth of the bus whatever the clock's speed.

Watchdog feeds: a board whose profile declares a watchdog drops to its safe
current unless its setpoint is rewritten within the period. A driver registers
the write that feeds it (:meth:`BusScheduler.feed`); the scheduler reruns it in
the priority lane every third of the period (before any poll that is due, and
between the frames of a poll), and a feed that failed is retried after a
thirtieth of the period. A feed belongs to the task that registered it (the
EVSE's controller): once that task has ended, the feed is dropped and the
board's own watchdog takes it to its safe current, so nothing that outlives
the controller keeps a board charging.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from drivers.errors import BusError, DeviceFault, DeviceTimeout, DriverError
from drivers.modbus.client import FrameError, ModbusClient
from drivers.modbus.coalesce import ReadBlock
from drivers.modbus.counters import DeviceCounters
from edge.model.clock import Clock

__all__ = ["BlockResult", "BusScheduler", "DeviceCounters", "Feed", "Poller"]

log = logging.getLogger(__name__)

BlockResult = dict[ReadBlock, list[int]]
SILENT_SHARE = 0.1
"""The most of the bus a device that stopped answering may keep taking."""
BUSY = 6
FEED_SHARE = 1 / 3
"""A watchdog is fed every third of its period: two feeds may fail in a row."""
FEED_RETRY_SHARE = 1 / 30
"""A failed feed is tried again after this share of the period."""
T = TypeVar("T")


@dataclass
class Poller:
    """A device's periodic read plan and where its results go."""

    name: str
    unit: int
    cycles: Sequence[Sequence[ReadBlock]]
    """The frames of each poll, in rotation (fast rows in all, slow in turn)."""
    interval_s: float
    on_result: Callable[[BlockResult | DriverError], None]
    timeout_s: float | None = None
    """The device's answer allowance; None: the bus's."""
    max_backoff_s: float = 30.0
    counters: DeviceCounters = field(default_factory=DeviceCounters)
    next_due: float = 0.0
    failures: int = 0
    cycle: int = 0


@dataclass
class Feed:
    """A write that keeps a device's watchdog from lapsing, and when it is due."""

    key: str
    unit: int
    run: Callable[[ModbusClient], Awaitable[None]]
    period_s: float
    """The device's watchdog period: it lapses this long after the last feed."""
    owner: asyncio.Task[object] | None
    """The task the feed lives for (None: until :meth:`BusScheduler.unfeed`)."""
    counters: DeviceCounters | None = None
    timeout_s: float | None = None
    next_due: float = 0.0
    failures: int = 0
    fed: int = 0
    """Feeds that the device took."""

    @property
    def every_s(self) -> float:
        """How often the feed is written while it succeeds."""
        return self.period_s * FEED_SHARE

    @property
    def orphaned(self) -> bool:
        """Whether the task the feed lived for has ended."""
        return self.owner is not None and self.owner.done()


@dataclass
class _Write:
    unit: int
    run: Callable[[], Awaitable[None]]
    done: asyncio.Future[None]
    counters: DeviceCounters | None
    timeout_s: float | None


class BusScheduler:
    """Owns one :class:`ModbusClient`; everything on that bus goes through here."""

    def __init__(
        self,
        name: str,
        client: ModbusClient,
        clock: Clock,
        retries: int | None = None,
    ) -> None:
        self.name = name
        self.client = client
        self.clock = clock
        self.retries = client.endpoint.retries if retries is None else retries
        self.pollers: list[Poller] = []
        self._writes: asyncio.Queue[_Write] = asyncio.Queue()
        self._wake = asyncio.Event()
        self.feeds: dict[str, Feed] = {}

    def add(self, poller: Poller) -> None:
        """Register a device's poll plan."""
        poller.next_due = self.clock.monotonic()
        self.pollers.append(poller)
        self._wake.set()

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
        timeout_s: float | None = None,
    ) -> None:
        """Run a control write in the priority lane; raise what it raised."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        item = _Write(unit, lambda: run(self.client), fut, counters, timeout_s)
        self._writes.put_nowait(item)
        self._wake.set()
        await fut

    def feed(
        self,
        key: str,
        unit: int,
        run: Callable[[ModbusClient], Awaitable[None]],
        period_s: float,
        counters: DeviceCounters | None = None,
        timeout_s: float | None = None,
        owner: asyncio.Task[object] | None = None,
    ) -> Feed:
        """Rewrite ``run`` every third of ``period_s`` (replacing ``key``'s feed).

        The first feed is due a third of the period from now: the caller has
        just written (or is writing) the same thing in the priority lane.
        """
        if period_s <= 0:
            raise ValueError(f"watchdog period must be positive, not {period_s!r}")
        item = Feed(key, unit, run, period_s, owner, counters, timeout_s)
        item.next_due = self.clock.monotonic() + item.every_s
        self.feeds[key] = item
        self._wake.set()
        return item

    def unfeed(self, key: str) -> None:
        """Stop feeding ``key``'s watchdog."""
        self.feeds.pop(key, None)

    async def _run_feeds(self) -> None:
        """Run every feed that is due (in the priority lane, after the writes)."""
        for key, item in list(self.feeds.items()):
            if item.orphaned:
                if self.feeds.get(key) is item:
                    del self.feeds[key]
                log.info("%s on %s: its controller ended; not fed", key, self.name)
                continue
            if item.next_due > self.clock.monotonic():
                continue
            counters = item.counters if item.counters is not None else DeviceCounters()

            async def run(item: Feed = item) -> None:
                await item.run(self.client)

            try:
                await self._attempts(counters, item.timeout_s, self.retries, run, False)
            except DriverError as exc:
                item.failures += 1
                retry_s = item.period_s * FEED_RETRY_SHARE
                item.next_due = self.clock.monotonic() + retry_s
                if item.failures in (1, 10) or item.failures % 100 == 0:
                    log.warning(
                        "%s on %s: watchdog feed failed: %s (failure %d)",
                        key,
                        self.name,
                        exc,
                        item.failures,
                    )
                continue
            if item.failures:
                log.info("%s on %s: watchdog fed again", key, self.name)
            item.failures = 0
            item.fed += 1
            item.next_due = self.clock.monotonic() + item.every_s

    async def _attempts(
        self,
        counters: DeviceCounters,
        timeout_s: float | None,
        retries: int,
        op: Callable[[], Awaitable[T]],
        writes_first: bool,
    ) -> T:
        """Run ``op`` with bounded retries, counting every attempt."""
        attempt = 0
        while True:
            if writes_first:
                # keep the silence first, so a write queued meanwhile goes next
                await self.client.silence()
                await self._run_writes()
                await self._run_feeds()
            counters.transactions += 1
            self.client.answer_timeout_s = (
                timeout_s if timeout_s is not None else self.client.endpoint.timeout_s
            )
            try:
                result = await op()
            except DriverError as exc:
                counters.failed(exc)
                retry = isinstance(exc, DeviceTimeout) or (
                    isinstance(exc, DeviceFault) and exc.exception_code == BUSY
                )
                if not retry or attempt >= retries:
                    raise
                attempt += 1
                counters.retries += 1
                continue
            counters.answered(self.client.last_latency_s * 1000)
            return result

    async def _run_writes(self) -> None:
        while not self._writes.empty():
            w = self._writes.get_nowait()
            if w.done.done():
                continue
            counters = w.counters if w.counters is not None else DeviceCounters()
            try:
                await self._attempts(counters, w.timeout_s, self.retries, w.run, False)
            except DriverError as exc:
                if not w.done.done():
                    w.done.set_exception(exc)
                continue
            if not w.done.done():
                w.done.set_result(None)

    async def _poll(self, p: Poller) -> None:
        blocks = p.cycles[p.cycle % len(p.cycles)] if p.cycles else ()
        p.cycle += 1
        retries = self.retries if p.failures == 0 else 0
        result: BlockResult = {}
        started = self.clock.monotonic()
        for block in blocks:
            fn, address, count = int(block.function), block.address, block.count

            async def read(
                fn: int = fn, address: int = address, n: int = count
            ) -> list[int]:
                return await self.client.read(p.unit, fn, address, n)

            try:
                result[block] = await self._attempts(
                    p.counters, p.timeout_s, retries, read, True
                )
            except DriverError as exc:
                self._failed(p, exc, self.clock.monotonic() - started)
                p.on_result(exc)
                return
        p.failures = 0
        p.next_due = self.clock.monotonic() + p.interval_s
        p.on_result(result)

    def _failed(self, p: Poller, exc: DriverError, spent_s: float) -> None:
        p.failures += 1
        backoff = min(p.max_backoff_s, p.interval_s * (2 ** min(p.failures - 1, 16)))
        floor = spent_s * (1 / SILENT_SHARE - 1)
        p.next_due = self.clock.monotonic() + max(backoff, floor)
        if p.failures in (1, 10) or p.failures % 100 == 0:
            kind = type(exc).__name__
            if isinstance(exc, FrameError):
                kind = f"{exc.kind} error"
            log.warning(
                "%s on %s: %s: %s (failure %d)",
                p.name,
                self.name,
                kind,
                exc,
                p.failures,
            )

    async def run(self) -> None:
        """The bus loop: until cancelled."""
        task = asyncio.current_task()
        try:
            while True:
                # pymodbus awaits its answer with asyncio.wait_for, which on 3.11
                # swallows a cancellation that lands as the answer arrives: honour
                # a pending cancellation here, or the bus would poll forever.
                if task is not None and task.cancelling():
                    raise asyncio.CancelledError
                await self._run_writes()
                await self._run_feeds()
                now = self.clock.monotonic()
                due = [p for p in self.pollers if p.next_due <= now]
                if due:
                    await self._poll(min(due, key=lambda p: p.next_due))
                    continue
                dues = [p.next_due for p in self.pollers]
                dues += [f.next_due for f in self.feeds.values()]
                wait = min(dues, default=now + 1.0) - now
                self._wake.clear()
                if not self._writes.empty():
                    continue
                # asyncio.timeout, not wait_for: on 3.11 wait_for can lose a
                # cancellation that arrives as the event is set.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.clock.to_wall(wait)):
                        await self._wake.wait()
        finally:
            self.client.close()
            while not self._writes.empty():
                w = self._writes.get_nowait()
                if not w.done.done():
                    w.done.set_exception(BusError(f"bus {self.name} stopped"))
