"""A simulated site serving the commissioning page, for the browser tests.

The real Site over a hal_sim world (Modbus TCP devices, RFID ptys), a real
SQLite file with seeded sessions and a dead letter, and the web server on a
free loopback port; E1's contactor is a channel of a simulated relay module,
so a contactor test is seen where the coil is.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path

from drivers.modbus.profile import ProfileLibrary
from edge.app import Site
from edge.config.loader import load_config
from edge.model.clock import ScaledClock
from hal_sim.devices.relay import SimRelay
from hal_sim.schedule import Visit
from hal_sim.world import SimWorld
from tests.integration.sim_site import simulated
from tests.integration.sites import site_file
from tests.integration.web_rig import seed_sessions, web_table

RELAY = (
    'contactor = { bus = "gw", unit = 9, model = "waveshare_modbus_rtu_io_8ch", '
    "channel = 1 }"
)
GUARD_S = 30.0


@dataclass
class PageSite:
    """A running simulated site with its page."""

    site: Site
    world: SimWorld
    clock: ScaledClock
    url: str
    relay: SimRelay
    channel: int
    coil_closed_seen: list[float] = field(default_factory=list)
    """Site times at which E1's contactor coil was seen energised."""

    def plug_in(self, uid: str) -> Visit:
        visit = Visit(f"ev-{uid}", uid, None, 0, 1e9, 60_000, 80_000, 0.3, 16, 3)
        self.world.site.plug_in(visit)
        return visit

    async def watch_coil(self) -> None:
        while True:
            if self.relay.coils[self.channel]:
                self.coil_closed_seen.append(self.clock.monotonic())
            await asyncio.sleep(0.002)


@contextlib.asynccontextmanager
async def page_site(tmp_path: Path, speed: float = 10.0) -> AsyncIterator[PageSite]:
    """Two EVSEs (E1 with a relay-module contactor) and the page on loopback."""
    await seed_sessions(tmp_path / "edge.db", 6)
    path = site_file(tmp_path, "", evses=2, extra=web_table(tmp_path))
    text = path.read_text().replace(
        'kind = "rdm6300" }\n', 'kind = "rdm6300" }\n' + RELAY + "\n", 1
    )
    path.write_text(text)
    config = load_config(path, ProfileLibrary().ids())
    assert config.sim is not None
    assert config.sim.start is not None
    clock = ScaledClock(speed, config.sim.start.astimezone(UTC))
    async with simulated(config, clock, tmp_path / "edge.db") as sim:
        site, world = sim.site, sim.world
        relay, channel = world.site.channels["E1"].contactor  # type: ignore[misc]
        assert isinstance(relay, SimRelay)
        assert site.web is not None
        async with asyncio.timeout(GUARD_S):
            await site.ready.wait()
        assert site.web.bound is not None
        live = PageSite(
            site,
            world,
            clock,
            site.web.bound.base_url,
            relay,
            channel,
        )
        watch = asyncio.create_task(live.watch_coil(), name="coil watch")
        try:
            yield live
        finally:
            watch.cancel()
            await asyncio.gather(watch, return_exceptions=True)
