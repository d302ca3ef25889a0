"""A one-EVSE site on any board profile: the controller against hal_sim over TCP."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

from drivers.modbus.profile import ProfileLibrary
from edge.app import Site
from edge.config.loader import load_config
from edge.config.schema import SiteConfig
from edge.model.clock import StallFreeClock
from edge.store.db import Database
from hal_sim.devices.evse_board import SimEvseBoard
from hal_sim.world import SimWorld

from .sim_site import simulated
from .sites import site_file


def board_site(
    tmp_path: Path, model: str, visits: str = "", *, max_current_a: int = 16
) -> SiteConfig:
    """The one-EVSE test site (see :func:`site_file`) with board ``model``."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = site_file(tmp_path, visits, evses=1)
    text = path.read_text().replace('model = "evse_wb"', f'model = "{model}"')
    text = text.replace("max_current_a = 16\n", f"max_current_a = {max_current_a}\n")
    path.write_text(text)
    return load_config(path, ProfileLibrary().ids())


@dataclass
class Rig:
    world: SimWorld
    site: Site
    clock: StallFreeClock
    db: Database
    site_task: asyncio.Task[None]

    @property
    def board(self) -> SimEvseBoard:
        return self.world.site.channels["E1"].board

    async def stop_controller(self) -> None:
        """Cancel the controller (its shutdown runs), keep the simulated world."""
        self.site_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.site_task


@contextlib.asynccontextmanager
async def running(
    config: SiteConfig,
    db_path: Path,
    speed: float,
    profiles: ProfileLibrary | None = None,
) -> AsyncIterator[Rig]:
    """The world and the controller running; ``profiles``: what the controller reads."""
    start = config.sim.start if config.sim and config.sim.start else None
    # One process, one clock: a stall of the busy machine is no site time (the
    # board's 60 s watchdog is 0.2 s of wall time at 300x; see StallFreeClock).
    clock = StallFreeClock(speed, start.astimezone(UTC) if start else None)
    async with clock.ticking(), _running(config, clock, db_path, profiles) as rig:
        yield rig


@contextlib.asynccontextmanager
async def _running(
    config: SiteConfig,
    clock: StallFreeClock,
    db_path: Path,
    profiles: ProfileLibrary | None,
) -> AsyncIterator[Rig]:
    async with simulated(config, clock, db_path, profiles=profiles) as sim:
        yield Rig(sim.world, sim.site, clock, sim.db, sim.site_task)


async def until(check: Callable[[], bool], timeout_s: float = 60.0) -> None:
    """Wait (wall time, generous) until ``check()``."""
    async with asyncio.timeout(timeout_s):
        while not check():
            await asyncio.sleep(0.01)


async def until_site(rig: Rig, check: Callable[[], bool], site_s: float) -> None:
    """Wait until ``check()``, for at most ``site_s`` of the rig's site time.

    The guard counts what the site lived through, not wall time: a starved
    machine, whose stall-free clock runs slower, only makes the wait longer.
    """
    deadline = rig.clock.monotonic() + site_s
    while not check():
        if rig.clock.monotonic() > deadline:
            raise AssertionError(f"not within {site_s:g} site seconds")
        await asyncio.sleep(0.01)
