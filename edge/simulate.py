"""``edge sim``: the simulated site and the controller on one scaled clock."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from edge.app import Overrides, Site
from edge.config.schema import SiteConfig
from edge.model.clock import ScaledClock
from edge.store.db import Database
from hal_sim.backoffice.sim import play_outages, sim_uplink, summary, wait_for_backlog
from hal_sim.world import SimWorld


@dataclass(frozen=True)
class SimResult:
    """What a simulated run did, from the physics' point of view."""

    truth: list[dict[str, object]]
    duration_s: float
    uplink: dict[str, object] | None = None
    """The OCPI uplink's backlog after the run and what the backoffice received."""


async def simulate(
    config: SiteConfig,
    db_path: Path,
    speed: float,
    duration_s: float,
    on_tick: Callable[[Site, ScaledClock], None] | None = None,
    tick_wall_s: float = 0.25,
    truth_path: Path | None = None,
) -> SimResult:
    """Run the site for ``duration_s`` of site time at ``speed``; return the truth."""
    start = config.sim.start if config.sim and config.sim.start else datetime.now(UTC)
    clock = ScaledClock(speed, start.astimezone(UTC))
    world = SimWorld(config, clock, truth_path=truth_path)
    endpoints = await world.start()
    overrides = Overrides(
        endpoints=dict(endpoints.modbus), rfid_ports=dict(endpoints.rfid)
    )
    uplink_stack = contextlib.AsyncExitStack()
    config, backoffice = await uplink_stack.enter_async_context(
        sim_uplink(config, clock, db_path)
    )
    db = await Database.open(db_path)
    site = Site(config, clock, db, overrides)
    uplink: dict[str, object] | None = None
    try:
        async with asyncio.TaskGroup() as tg:
            world_task = tg.create_task(world.run(), name="sim world")
            site_task = tg.create_task(site.run(), name="controller")
            outages = None
            if backoffice is not None:
                outages = tg.create_task(
                    play_outages(backoffice, clock, config), name="uplink outages"
                )
            deadline = clock.monotonic() + duration_s
            while clock.monotonic() < deadline:
                if on_tick is not None:
                    on_tick(site, clock)
                await clock.sleep(
                    min(clock.from_wall(tick_wall_s), deadline - clock.monotonic())
                )
            if on_tick is not None:
                on_tick(site, clock)
            if site.uplink is not None:  # let the uplink deliver what is queued
                uplink = summary(backoffice, await wait_for_backlog(db, clock, 10.0))
            world_task.cancel()
            site_task.cancel()
            if outages is not None:
                outages.cancel()
    finally:
        with contextlib.suppress(Exception):
            await world.close()
        await db.close()
        await uplink_stack.aclose()
    return SimResult(world.site.truth, duration_s, uplink)
