"""Applying an allocation: the limits written to the EVSEs, and in which order.

Each EVSE whose setpoint differs from the limit its view shows gets
:meth:`~edge.evse.port.EvsePort.set_current_limit`; a pause is 0 A (the
port's pause: the offer stops and the session stays open). Every lowering (and
pause) is applied before any raise, so the sum on a phase never passes what the
allocator allowed while setpoints change. A raise waits for a reading of every
circuit meter above the EVSE taken after the EVSE last took a limit (the next
poll): an older reading did not see the car at its present limit, and its
house load (:mod:`edge.load.house`) tells nothing of what that limit did. The
failsafe current never waits (it is safe without any reading). A refused
command is retried after ``RETRY_S``, one not answered in time after
``TIMEOUT_RETRY_S``; the allocator is told only what was applied (each EVSE's
:class:`EvseMemory`).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from edge.evse.limits import PAUSE_A
from edge.evse.port import EvsePort, EvseView
from edge.load.allocator import GridSample
from edge.load.house import SETTLE_FROM_A, Trace
from edge.load.setpoints import Charge, Last, NotStarted, Setpoint, Why, next_last
from edge.load.site import Metered, Phase, Site
from edge.model.clock import Clock
from edge.model.commands import CommandOutcome

log = logging.getLogger(__name__)

COMMAND_TIMEOUT_S = 5.0
RETRY_S = 10.0
"""A refused setpoint is tried again after this long."""
TIMEOUT_RETRY_S = 1.0
"""A setpoint not answered in time (a busy bus) is tried again after this long."""
SAME_A = 0.05
"""Setpoints closer than this (A) are the same (below the 0.1 A step)."""


@dataclass
class EvseMemory:
    """What the load manager keeps of one EVSE between allocations."""

    last: Last = field(default_factory=NotStarted)
    session: str | None = None
    phases: frozenset[Phase] = frozenset()
    retry_at: float = -math.inf
    trace: Trace = field(default_factory=Trace)
    """Its meter's recent readings and the limits it took."""
    seen: bool = False
    """Its view was seen (the trace starts at the limit it showed)."""
    changed_at: float = -math.inf
    """When its limit last changed (the car follows over seconds)."""
    idle_since: float | None = None
    """Since when the car has been offered current without asking for it."""
    satisfied_at: float | None = None
    """When the car was found not asking while offered (full, or its own timer)."""


class Applier:
    """Writes each allocation's setpoints to the EVSE ports, lowerings first."""

    def __init__(
        self,
        site: Site,
        ports: Mapping[str, EvsePort],
        evses: Mapping[str, EvseMemory],
        clock: Clock,
    ) -> None:
        self.ports = ports
        self.evses = evses
        """The manager's memory of each EVSE (what was applied is kept there)."""
        self.clock = clock
        self._metered_above = {
            leaf.uid: [
                c.id
                for c in site.circuits()
                if isinstance(c.source, Metered) and leaf in c.leaves()
            ]
            for leaf in site.leaves()
        }

    async def apply(
        self,
        setpoints: Mapping[str, Setpoint],
        views: Mapping[str, EvseView],
        grid: Mapping[str, GridSample],
        now: float,
    ) -> None:
        """Apply ``setpoints`` (allocated at ``now`` from ``views`` and ``grid``).

        ``grid``: each metered circuit's last reading (a raise waits for one
        taken after the EVSE last took a limit).
        """
        lower: list[tuple[str, Setpoint, float, float]] = []
        raise_: list[tuple[str, Setpoint, float, float]] = []
        for uid, setpoint in setpoints.items():
            ev = self.evses[uid]
            amps = setpoint.current_a if isinstance(setpoint, Charge) else PAUSE_A
            shown = views[uid].limit_a
            if abs(shown - amps) < SAME_A:
                ev.last = next_last(ev.last, setpoint, now)
            elif amps > shown and self._unseen(uid, setpoint, grid):
                continue  # held until a reading shows its present limit
            elif now >= ev.retry_at:
                batch = lower if amps < shown else raise_
                batch.append((uid, setpoint, amps, shown))
        for todo in (lower, raise_):
            if todo:
                async with asyncio.TaskGroup() as tg:
                    for uid, setpoint, amps, shown in todo:
                        tg.create_task(self._apply(uid, setpoint, amps, shown, now))

    def _unseen(
        self, uid: str, setpoint: Setpoint, grid: Mapping[str, GridSample]
    ) -> bool:
        """A circuit meter above has not read since the EVSE last took a limit.

        The allocation then rests on a reading that did not see what the car
        does at its present limit: a raise waits for a reading that did (at
        most a poll cycle). Lowering never waits, nor does the failsafe
        current (safe without any reading).
        """
        if isinstance(setpoint, Charge) and setpoint.why is Why.FAILSAFE:
            return False
        taken = self.evses[uid].trace.last_taken_at()
        return any(
            (sample := grid.get(cid)) is not None and sample.read_at < taken
            for cid in self._metered_above[uid]
        )

    async def _apply(
        self, uid: str, setpoint: Setpoint, amps: float, shown: float, now: float
    ) -> None:
        ev = self.evses[uid]
        sent = self.clock.monotonic()
        result = await self.ports[uid].set_current_limit(amps, COMMAND_TIMEOUT_S)
        if result.outcome is CommandOutcome.ACCEPTED:
            taken = self.clock.monotonic()
            ev.trace.took(sent, taken, amps)
            if abs(amps - shown) >= SETTLE_FROM_A:
                ev.changed_at = taken
            ev.last = next_last(ev.last, setpoint, now)
            ev.retry_at = -math.inf
            return
        wait = TIMEOUT_RETRY_S if result.outcome is CommandOutcome.TIMEOUT else RETRY_S
        ev.retry_at = self.clock.monotonic() + wait
        log.warning(
            "load: EVSE %s did not take %g A (%s: %s); retrying in %g s",
            uid,
            amps,
            result.outcome,
            result.message,
            wait,
        )
