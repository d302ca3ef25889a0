"""A wait for an answer that counts only the time the master was awake to see it.

A device's answer timeout is the device's time plus the wire's: physics. A
master that was not running meanwhile (a Raspberry Pi under load, an event loop
busy with other work, a process the kernel starved) did not wait that long. The
answer may be sitting in the tty's buffer, or, with a simulator on the same
loop, not have been made yet. A plain ``asyncio.timeout`` counts the stall, and
when the loop runs again its expiry and the answer's bytes land in the same
pass of the loop: the expiry wins and a device that answered on time is
reported silent (a bus scan then misses the meter that is there).

:class:`AwakeWait` ticks a few times per window on the loop's clock (wire time
is physics: never the site clock). A tick more than one tick late marks a stall,
and the stalled interval counts as one tick only. The wait never ends on a
stalled tick: the loop first gets one more tick awake to read what arrived
meanwhile, unless the stalls go on for :data:`MAX_GRACE` ticks past the window
(a loop that never catches up must still end its waits).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

TICKS = 8
"""Ticks per window: a stall's error is at most one tick."""
TICK_MIN_S = 0.002
TICK_MAX_S = 0.02
MAX_GRACE = 3
"""Stalled ticks past the window before the wait ends anyway."""


class AwakeWait:
    """Call ``expire`` once ``window_s`` of awake loop time has passed."""

    def __init__(self, window_s: float, expire: Callable[[], None]) -> None:
        """Wait ``window_s``; :meth:`start` begins it."""
        self.window_s = window_s
        self.tick_s = min(TICK_MAX_S, max(TICK_MIN_S, window_s / TICKS))
        self.stalled_s = 0.0
        """Time not counted: the loop was stalled while the wait ran."""
        self.starved = False
        """The wait ended while the loop still stalled: its silence proves little."""
        self._expire = expire
        self._counted = 0.0
        self._grace = 0
        self._last = 0.0
        self._handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        """Begin counting now."""
        self._loop = loop = asyncio.get_running_loop()
        self._last = loop.time()
        self._arm()

    def cancel(self) -> None:
        """Stop (the answer came, or the call ended otherwise)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def _arm(self) -> None:
        if self._loop is None:
            return
        step = max(0.0, min(self.tick_s, self.window_s - self._counted))
        self._handle = self._loop.call_at(self._last + step, self._tick)

    def _tick(self) -> None:
        self._handle = None
        if self._loop is None:
            return
        now = self._loop.time()
        elapsed, self._last = now - self._last, now
        stalled = elapsed > 2 * self.tick_s
        counted = self.tick_s if stalled else elapsed
        self.stalled_s += elapsed - counted
        self._counted += counted
        if self._counted >= self.window_s and (not stalled or self._grace >= MAX_GRACE):
            self.starved = stalled
            self._expire()
            return
        if self._counted >= self.window_s:
            self._grace += 1
            self._handle = self._loop.call_at(now + self.tick_s, self._tick)
            return
        self._arm()
