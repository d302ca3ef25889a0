"""The one injectable clock.

Every deadline, timestamp and sleep in the controller, the drivers and the simulator
goes through a :class:`Clock`. The real clock uses ``time.monotonic()`` for deadlines
and timezone-aware UTC datetimes for the wire. :class:`ScaledClock` runs site time
``speed`` times faster than wall time, so that days of site time pass in seconds in
tests and in ``edge sim``; real IO (Modbus frames, HTTP, websockets) still takes its
real time, which the scaled clock multiplies like everything else.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Site time: monotonic seconds for deadlines, UTC datetimes for records."""

    @property
    def speed(self) -> float:
        """How many site seconds pass per wall second."""
        ...

    def monotonic(self) -> float:
        """Site seconds on a monotonic scale (for deadlines and intervals)."""
        ...

    def utcnow(self) -> datetime:
        """Site time as a timezone-aware UTC datetime (for records and the wire)."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Sleep for ``seconds`` of site time."""
        ...

    def to_wall(self, seconds: float) -> float:
        """Convert a site-time duration to wall seconds (for IO timeouts)."""
        ...

    def from_wall(self, seconds: float) -> float:
        """Site seconds that pass in ``seconds`` of wall time (physical timings)."""
        ...


class SystemClock:
    """Wall time: what runs on a real site."""

    speed = 1.0

    def monotonic(self) -> float:
        """Return ``time.monotonic()``."""
        return time.monotonic()

    def utcnow(self) -> datetime:
        """Return the current UTC time."""
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        """Sleep on the event loop."""
        await asyncio.sleep(max(0.0, seconds))

    def to_wall(self, seconds: float) -> float:
        """Site seconds are wall seconds."""
        return seconds

    def from_wall(self, seconds: float) -> float:
        """Wall seconds are site seconds."""
        return seconds


class ScaledClock:
    """Site time that runs ``speed`` times faster than wall time from ``start``.

    Two processes that share ``start`` and ``speed`` and an ``epoch_wall`` (a wall
    timestamp, see :meth:`anchor`) agree on site time, which is how ``hal-sim serve``
    and ``edge run`` stay on one clock when they run as separate processes.
    """

    def __init__(
        self,
        speed: float = 1.0,
        start: datetime | None = None,
        *,
        epoch_wall: float | None = None,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"clock speed must be positive, got {speed}")
        self._speed = float(speed)
        self._start = start if start is not None else datetime.now(UTC)
        if self._start.tzinfo is None:
            raise ValueError("clock start must be timezone-aware")
        # Wall anchors: a monotonic one for this process, and the matching wall time.
        self._mono0 = time.monotonic()
        wall_now = time.time()
        self._wall0 = epoch_wall if epoch_wall is not None else wall_now
        # Shift the monotonic anchor so that elapsed time counts from epoch_wall.
        self._mono0 -= wall_now - self._wall0

    @property
    def speed(self) -> float:
        """Site seconds per wall second."""
        return self._speed

    @property
    def start(self) -> datetime:
        """Site time at the anchor."""
        return self._start

    @property
    def epoch_wall(self) -> float:
        """Wall timestamp (seconds since 1970) at which site time was ``start``."""
        return self._wall0

    def anchor(self) -> str:
        """JSON that lets another process share this site time."""
        return json.dumps(
            {
                "start": self._start.isoformat(),
                "speed": self._speed,
                "epoch_wall": self._wall0,
            }
        )

    @classmethod
    def from_anchor(cls, text: str) -> ScaledClock:
        """The same site time as the process that wrote ``text`` with :meth:`anchor`."""
        data = json.loads(text)
        return cls(
            float(data["speed"]),
            datetime.fromisoformat(data["start"]),
            epoch_wall=float(data["epoch_wall"]),
        )

    def elapsed(self) -> float:
        """Site seconds since ``start``."""
        return (time.monotonic() - self._mono0) * self._speed

    def monotonic(self) -> float:
        """Site seconds since the anchor."""
        return self.elapsed()

    def utcnow(self) -> datetime:
        """Site time as UTC."""
        return self._start + timedelta(seconds=self.elapsed())

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of site time (``seconds / speed`` of wall time)."""
        await asyncio.sleep(max(0.0, seconds) / self._speed)

    def to_wall(self, seconds: float) -> float:
        """Wall seconds for a site-time duration."""
        return seconds / self._speed

    def from_wall(self, seconds: float) -> float:
        """Site seconds for a wall-time duration."""
        return seconds * self._speed


class StallFreeClock(ScaledClock):
    """A :class:`ScaledClock` that does not count the time its process could not run.

    For tests that run the controller and the simulated world in one process on
    one clock. On a busy machine the process is not scheduled for a while now
    and then (tens of milliseconds, seconds when starved); a scaled clock turns
    that into minutes of site time in which neither the controller nor the
    simulator could act, which no real site lives through: there the controller
    runs at 1x and such a stall is a fraction of a second of site time. So
    while the clock's process runs (:meth:`ticking` keeps a reader awake every
    ``tick_wall_s``), site time advances at ``speed``; a gap between two
    readings longer than ``max_gap_wall_s`` counts only that long. Site time
    stays monotonic; it only runs slower than ``speed`` on a starved machine.
    Not for two processes that share a clock (:meth:`anchor`): each would lose
    its own stalls.
    """

    def __init__(
        self,
        speed: float = 1.0,
        start: datetime | None = None,
        *,
        max_gap_wall_s: float = 0.02,
        tick_wall_s: float = 0.005,
    ) -> None:
        super().__init__(speed, start)
        if not 0 < tick_wall_s < max_gap_wall_s:
            raise ValueError(
                f"tick ({tick_wall_s}) must be positive and below the gap"
                f" ({max_gap_wall_s})"
            )
        self.max_gap_wall_s = max_gap_wall_s
        self.tick_wall_s = tick_wall_s
        self.lost_wall_s = 0.0
        """Wall seconds not counted: the process's stalls beyond the gap."""
        self._last = time.monotonic()
        self._last_cpu = time.process_time()
        self._lock = threading.Lock()

    def _running_wall(self) -> float:
        with self._lock:
            now, cpu = time.monotonic(), time.process_time()
            gap = now - self._last
            # a gap in which the process computed is not a stall: only the
            # wall time beyond both the allowance and the CPU time it used
            ran = max(self.max_gap_wall_s, cpu - self._last_cpu)
            if gap > ran:
                self.lost_wall_s += gap - ran
            self._last, self._last_cpu = now, cpu
            return now - self.lost_wall_s

    def elapsed(self) -> float:
        """Site seconds since ``start``, without the stalls."""
        return (self._running_wall() - self._mono0) * self._speed

    async def sleep(self, seconds: float) -> None:
        """Sleep until ``seconds`` of site time have passed (stalls do not count)."""
        deadline = self.monotonic() + max(0.0, seconds)
        # a deadline in site time, which a stall moves in wall time: no event
        while (left := deadline - self.monotonic()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(left / self._speed)

    @contextlib.asynccontextmanager
    async def ticking(self) -> AsyncIterator[StallFreeClock]:
        """Read the clock every ``tick_wall_s`` while the block runs.

        Without a reader an idle loop would look stalled, and site time stop.
        """

        async def tick() -> None:
            while True:
                self._running_wall()
                await asyncio.sleep(self.tick_wall_s)

        self._running_wall()
        task = asyncio.create_task(tick(), name="stall-free clock")
        try:
            yield self
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


class ManualClock:
    """A clock that moves only when told to: for pure unit tests.

    ``sleep`` returns once :meth:`advance` has moved time past its deadline.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self._start = start if start is not None else datetime(2026, 1, 1, tzinfo=UTC)
        self._now = 0.0
        self._waiters: list[tuple[float, asyncio.Future[None]]] = []

    speed = 1.0

    def monotonic(self) -> float:
        """Seconds advanced so far."""
        return self._now

    def utcnow(self) -> datetime:
        """Start plus the seconds advanced."""
        return self._start + timedelta(seconds=self._now)

    def to_wall(self, seconds: float) -> float:
        """Manual time has no wall relation; IO timeouts stay as given."""
        return seconds

    def from_wall(self, seconds: float) -> float:
        """Manual time has no wall relation; durations stay as given."""
        return seconds

    async def sleep(self, seconds: float) -> None:
        """Wait until the clock has been advanced by ``seconds``."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((self._now + seconds, fut))
        await fut

    def advance(self, seconds: float) -> None:
        """Move time forward and wake every sleeper whose deadline passed."""
        self._now += seconds
        due = [w for w in self._waiters if w[0] <= self._now]
        self._waiters = [w for w in self._waiters if w[0] > self._now]
        for _, fut in due:
            if not fut.done():
                fut.set_result(None)
