"""Floors of wall time that a fast clock must not squeeze below.

A fast clock does not make Modbus frames faster, nor does it make a busy
machine schedule the controller sooner. ``edge sim`` and ``edge run`` on a
scaled clock (``--speed``, ``--clock-file``) apply the same floors.
"""

from __future__ import annotations

import logging

from edge.config.schema import SiteConfig
from edge.model.clock import Clock

log = logging.getLogger(__name__)

DEVICE_TIMEOUT_WALL_S = 3.0
"""The least wall time a simulated run lets a device be silent before it counts."""
RELAY_SETTLE_WALL_S = 1.0
"""The least wall time a simulated run lets a relay disagree with its command:
the command's write may wait its turn on a busy bus for that long."""


def wire_time_floors(config: SiteConfig, clock: Clock) -> SiteConfig:
    """The site file, with a device timeout no shorter than the wire allows.

    At x600 a 10 s timeout is 17 ms of wall time, less than one poll of a few
    devices on a busy machine (whose processes may wait a second or more for a
    core): every EVSE would flap between silent and available, and open its
    contactor mid-session. The timeout is raised to span at least
    ``DEVICE_TIMEOUT_WALL_S`` of wall time. The relay's settle time likewise
    spans ``RELAY_SETTLE_WALL_S``: at x500 its 10 s are 20 ms, and under load
    the enable's write came later than that, so that a relay still open
    (correctly, as commanded a moment before) was taken for one that does not
    close (RELAY_NOT_CLOSED) and the EVSE went out of order.
    """
    timing = config.sessions
    update: dict[str, float] = {}
    for key, wall_s in (
        ("device_timeout_s", DEVICE_TIMEOUT_WALL_S),
        ("relay_settle_s", RELAY_SETTLE_WALL_S),
    ):
        own, floor = getattr(timing, key), clock.from_wall(wall_s)
        if own < floor:
            log.info(
                "%s %g s -> %g s of site time (%g s of wall time at x%g)",
                key,
                own,
                floor,
                wall_s,
                clock.speed,
            )
            update[key] = floor
    if not update:
        return config
    sessions = timing.model_copy(update=update)
    return config.model_copy(update={"sessions": sessions})
