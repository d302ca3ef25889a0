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
import json
import time
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
