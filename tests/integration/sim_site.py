"""The controller against the simulated world, in one process: the tests' base rig.

The world's devices answer at once; its EV schedule starts once the controller
is READY (readers open, buses polled). On exit both are cancelled, the world's
servers closed and the store closed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from drivers.modbus.profile import ProfileLibrary
from edge.app import Overrides, Site
from edge.config.schema import SiteConfig
from edge.model.clock import Clock
from edge.store.db import Database
from hal_sim.world import SimWorld


@dataclass
class Simulated:
    world: SimWorld
    site: Site
    db: Database
    site_task: asyncio.Task[None]


@contextlib.asynccontextmanager
async def simulated(
    config: SiteConfig,
    clock: Clock,
    db_path: Path,
    *,
    world: SimWorld | None = None,
    profiles: ProfileLibrary | None = None,
) -> AsyncIterator[Simulated]:
    """``config``'s world (or ``world``, already tuned) and its controller running."""
    world = world or SimWorld(config, clock)
    endpoints = await world.start()
    db = await Database.open(db_path)
    site = Site(
        config,
        clock,
        db,
        Overrides(endpoints=dict(endpoints.modbus), rfid_ports=dict(endpoints.rfid)),
        profiles,
    )
    world_task = asyncio.create_task(
        world.run(start_when=site.ready.wait), name="sim world"
    )
    site_task = asyncio.create_task(site.run(), name="controller")
    try:
        yield Simulated(world, site, db, site_task)
    finally:
        for task in (site_task, world_task):
            task.cancel()
        await asyncio.gather(site_task, world_task, return_exceptions=True)
        await world.close()
        await db.close()
