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


def wire_time_floors(config: SiteConfig, clock: Clock) -> SiteConfig:
    """The site file, with a device timeout no shorter than the wire allows.

    At x600 a 10 s timeout is 17 ms of wall time, less than one poll of a few
    devices on a busy machine (whose processes may wait a second or more for a
    core): every EVSE would flap between silent and available, and open its
    contactor mid-session. The timeout is raised to span at least
    ``DEVICE_TIMEOUT_WALL_S`` of wall time.
    """
    floor = clock.from_wall(DEVICE_TIMEOUT_WALL_S)
    timing = config.sessions
    if timing.device_timeout_s >= floor:
        return config
    log.info(
        "device_timeout_s %g s -> %g s of site time (%g s of wall time at x%g)",
        timing.device_timeout_s,
        floor,
        DEVICE_TIMEOUT_WALL_S,
        clock.speed,
    )
    sessions = timing.model_copy(update={"device_timeout_s": floor})
    return config.model_copy(update={"sessions": sessions})
