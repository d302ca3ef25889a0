"""What the fuse lets each car draw when every car charges: the price plan's power.

Pure. A plan made for an EVSE's full power chooses too few hours when other cars
share its fuse: in the cheap hours they all charge, and each gets its share of
what the house leaves, not its maximum. :func:`fuse_share` asks the allocator
itself (the same tree, house load, phases, priorities and minimums) what each
car wanting current gets if every one of them charges at once (none paused by a
plan or a resume delay, no caps): the most a plan may count on. It only lowers
what a plan assumes, so a plan chooses more hours, never a higher current; the
allocator still applies every circuit's limit to the setpoints.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace

from edge.load.allocator import Charge, Charging, EvseState, GridSample, allocate
from edge.load.site import Site


def fuse_share(
    site: Site,
    states: Mapping[str, EvseState],
    grid: Mapping[str, GridSample],
    now: float,
) -> dict[str, float]:
    """Per EVSE wanting current: its current (A per phase) with every car charging."""
    together = {
        uid: replace(st, last=Charging(0.0, -math.inf)) if st.wants_current else st
        for uid, st in states.items()
    }
    allocation = allocate(site, together, grid, now)
    return {
        uid: sp.current_a if isinstance(sp, Charge) else 0.0
        for uid, sp in allocation.setpoints.items()
        if states[uid].wants_current
    }
