"""A real Site with a board EVSE, OCPP chargers and the simulated OCPI backoffice.

As ``edge sim`` assembles it (SimWorld for the Modbus EVSE, the simulated
backoffice over real HTTP), with ``[ocpp]`` on a free loopback port; hal_sim's
1.6J charge points (and, with ``web=True``, its 2.0.1 station CS201) connect to
it over real websockets. ``web=True`` also serves the local API (requests over
real HTTP, :meth:`Live.post`). Site time is a :class:`StallFreeClock`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

from drivers.modbus.profile import ProfileLibrary
from edge.app import Overrides, Site
from edge.config.loader import load_config
from edge.model.clock import StallFreeClock
from edge.ocpi import CommandType
from edge.ocpi.common import JsonObject
from edge.sim_uplink import sim_uplink
from edge.store.db import Database
from hal_sim.backoffice.cpo import CpoPeer
from hal_sim.backoffice.server import SimBackoffice
from hal_sim.ocpp.charge_point import SimChargePoint
from hal_sim.ocpp.charge_point_201 import SimChargingStation
from hal_sim.ocpp.link import open_link
from hal_sim.world import SimWorld
from tests.integration import web_rig
from tests.integration.ocpi_rig import until
from tests.integration.raw_http import Reply
from tests.integration.sites import site_file

SPEED = 20.0
READY_GUARD_S = 30.0
LOCATION = ("NL", "EXA", "LOC1")
OCPP = """
[ocpp]
listen_port = 0
heartbeat_interval_s = 60

[[ocpp.charger]]
identity = "CP001"
connector = [{ id = 1, evse_uid = "CP001-1", evse_id = "NL*EXA*E0101*1" }]

[[ocpp.charger]]
identity = "CP002"
connector = [{ id = 1, evse_uid = "CP002-1" }, { id = 2, evse_uid = "CP002-2" }]
"""
STATION = """
[[ocpp.charger]]
identity = "CS201"
protocol = "ocpp2.0.1"
connector = [{ id = 1, evse_uid = "CS201-1" }]
"""


@dataclass
class Live:
    """A running site, its world and backoffice."""

    site: Site
    world: SimWorld
    bo: SimBackoffice
    peer: CpoPeer
    clock: StallFreeClock
    db: Database
    web_port: int | None = None

    def location(self) -> JsonObject:
        return self.bo.state.locations.get(LOCATION, {})

    def evse_status(self, uid: str) -> str | None:
        evses = self.location().get("evses", [])
        assert isinstance(evses, list)
        return next((str(e["status"]) for e in evses if e["uid"] == uid), None)

    async def command(self, kind: CommandType, body: JsonObject) -> tuple[str, str]:
        """An eMSP's command over OCPI: our response and, once it came, the result."""
        sent = await self.peer.command(kind, body)
        results = self.bo.state.command_results
        await until(lambda: bool(results.get(sent.command_id)))
        return sent.response.result.value, results[sent.command_id][0].result.value

    async def charger(self, identity: str) -> tuple[SimChargePoint, asyncio.Task]:
        """A hal_sim 1.6J charge point connected and running (not booted yet)."""
        server = self.site.ocpp_server
        assert server is not None
        link = await open_link(server.url("127.0.0.1", identity), identity)
        cp = SimChargePoint(identity, link, self.clock)
        return cp, asyncio.create_task(cp.run(), name=f"charger {identity}")

    async def station(
        self, identity: str = "CS201"
    ) -> tuple[SimChargingStation, asyncio.Task]:
        """hal_sim's 2.0.1 station connected and running (not booted yet)."""
        server = self.site.ocpp_server
        assert server is not None
        url = server.url("127.0.0.1", identity)
        link = await open_link(url, identity, None, ("ocpp2.0.1",))
        cs = SimChargingStation(identity, link, self.clock)
        return cs, asyncio.create_task(cs.run(), name=f"station {identity}")

    async def post(self, target: str, body: object) -> Reply:
        """A local API request (``web=True``) with the site's token."""
        assert self.web_port is not None
        live = web_rig.Live(self.site, self.world, self.clock, self.web_port, self.db)
        return await live.post(target, body)


@contextlib.asynccontextmanager
async def live_site(tmp_path: Path, *, web: bool = False) -> AsyncIterator[Live]:
    """One board EVSE (E1), CP001 and CP002, the uplink registered.

    ``web``: the local API too, and the 2.0.1 station CS201.
    """
    extra = "[ocpi]\n" + OCPP
    if web:
        extra = web_rig.web_table(tmp_path, extra=extra + STATION)
    path = site_file(tmp_path, "", evses=1, extra=extra)
    config = load_config(path, ProfileLibrary().ids())
    assert config.sim is not None
    assert config.sim.start is not None
    clock = StallFreeClock(SPEED, config.sim.start.astimezone(UTC))
    world = SimWorld(config, clock)
    endpoints = await world.start()
    db_path = tmp_path / "edge.db"
    tasks: list[asyncio.Task[None]] = []
    try:
        uplinked = sim_uplink(config, clock, db_path)
        async with clock.ticking(), uplinked as (config, bo):
            assert bo is not None
            db = await Database.open(db_path)
            overrides = Overrides(
                endpoints=dict(endpoints.modbus), rfid_ports=dict(endpoints.rfid)
            )
            site = Site(config, clock, db, overrides)
            try:
                tasks += [
                    asyncio.create_task(world.run(), name="sim world"),
                    asyncio.create_task(site.run(), name="site"),
                ]
                uplink = site.uplink
                assert uplink is not None
                await asyncio.wait_for(site.ready.wait(), READY_GUARD_S)
                await asyncio.wait_for(uplink.connected.wait(), READY_GUARD_S)
                bound = None if site.web is None else site.web.bound
                port = None if bound is None else bound.port
                live = Live(site, world, bo, CpoPeer(bo.backoffice), clock, db, port)
                await until(lambda: live.evse_status("E1") == "AVAILABLE")
                yield live
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                await db.close()
    finally:
        await world.close()
