"""One readiness signal for a running site: READY once every part has come up.

A part is named when the site is wired (``expect``) and reported up by whoever
sees it come up (``up``). The site is READY when no part is pending; it stays
READY (a reader that loses its port later is the reader's business, not a
start-up question). Waiting is an event, never a poll::

    ready = Readiness()
    ready.expect("rfid E1")
    ...
    ready.up("rfid E1")        # from the reader, when its port is open
    await ready.wait()          # returns at once if READY already
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

log = logging.getLogger(__name__)


class Readiness:
    """The parts a site waits for, and an event set when none is left."""

    def __init__(self, now: Callable[[], datetime] | None = None) -> None:
        self._now = now
        self.ready_at: datetime | None = None
        """When the site became READY (by ``now``, e.g. the site clock's utcnow)."""
        self._pending: set[str] = set()
        self._up: list[str] = []
        self._event = asyncio.Event()
        self._open = True
        """Parts may still be expected (until :meth:`seal`)."""

    def expect(self, part: str) -> None:
        """Wait for ``part`` too; it must be reported by :meth:`up`."""
        if not self._open:
            raise RuntimeError(f"readiness already sealed; cannot expect {part!r}")
        if part not in self._up:
            self._pending.add(part)

    def up(self, part: str, how: str = "up") -> None:
        """``part`` has come up (``how``: e.g. "answered", "known failed")."""
        if part not in self._pending:
            return  # not expected, or reported already: the first report counts
        self._pending.discard(part)
        self._up.append(part)
        log.debug("ready: %s %s", part, how)
        self._check()

    def seal(self) -> None:
        """Every part is expected now: READY as soon as none is pending."""
        self._open = False
        self._check()

    def _check(self) -> None:
        if self._open or self._pending or self._event.is_set():
            return
        log.info("site READY: %d part(s) up (%s)", len(self._up), ", ".join(self._up))
        if self._now is not None:
            self.ready_at = self._now()
        self._event.set()

    @property
    def is_ready(self) -> bool:
        """Whether every part has come up."""
        return self._event.is_set()

    @property
    def parts(self) -> list[str]:
        """The parts that came up, in the order they did."""
        return list(self._up)

    @property
    def pending(self) -> list[str]:
        """The parts not up yet, sorted (for messages)."""
        return sorted(self._pending)

    async def wait(self) -> None:
        """Return once the site is READY."""
        await self._event.wait()
