"""A simulated site serving the local API on a free loopback port.

A real Site over a hal_sim world (Modbus TCP, rfid ptys), a real SQLite file,
and the web server on ``127.0.0.1:0``; requests go over real HTTP
(:mod:`tests.integration.raw_http`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from drivers.modbus.profile import ProfileLibrary
from edge.app import Overrides, Site
from edge.config.loader import load_config
from edge.config.schema import SiteConfig
from edge.model.clock import ScaledClock
from edge.model.session import Session, SessionStatus
from edge.store import outbox
from edge.store import sessions as store_sessions
from edge.store.db import Database, transaction
from hal_sim.schedule import Visit
from hal_sim.world import Endpoints, SimWorld
from tests.integration import raw_http
from tests.integration.raw_http import Reply
from tests.integration.sim_site import simulated
from tests.integration.sites import site_file

TOKEN = "api-token-0123456789abcdef"
GUARD_S = 30.0
SEED_START = datetime(2026, 3, 1, tzinfo=UTC)


def web_table(tmp_path: Path, token: str | None = TOKEN, extra: str = "") -> str:
    """A ``[web]`` table on port 0 with ``token`` in a 0600 file."""
    lines = ["[web]", "listen_port = 0"]
    if token is not None:
        path = tmp_path / "api-token"
        path.write_text(token + "\n")
        path.chmod(0o600)
        lines.append(f'token_file = "{path}"')
    return "\n".join(lines) + "\n" + extra


@dataclass
class Live:
    """A running simulated site with its web server."""

    site: Site
    world: SimWorld
    clock: ScaledClock
    port: int
    db: Database

    def plug_in(self, uid: str) -> None:
        visit = Visit(f"ev-{uid}", uid, None, 0, 1e9, 30_000, 60_000, 0.3, 16, 3)
        self.world.site.plug_in(visit)

    def unplug(self, uid: str) -> None:
        """The EV plugged in on ``uid`` leaves."""
        visit = self.world.site.channels[uid].visit
        assert visit is not None, f"no EV on {uid}"
        self.world.site.unplug(visit)

    async def get(
        self,
        target: str,
        token: str | None = TOKEN,
        headers: Iterable[tuple[bytes, bytes]] = (),
    ) -> Reply:
        return await raw_http.request(
            self.port, b"GET", target.encode(), [*auth(token), *headers]
        )

    async def post(
        self, target: str, body: object = None, token: str | None = TOKEN
    ) -> Reply:
        data = b"" if body is None else json.dumps(body).encode()
        headers = [*auth(token)]
        if body is not None:
            headers.append((b"Content-Type", b"application/json"))
        return await raw_http.request(
            self.port, b"POST", target.encode(), headers, data, timeout=GUARD_S
        )


def auth(token: str | None) -> list[tuple[bytes, bytes]]:
    return [] if token is None else [(b"Authorization", f"Bearer {token}".encode())]


@contextlib.asynccontextmanager
async def live_site(
    tmp_path: Path,
    *,
    token: str | None = TOKEN,
    speed: float = 20.0,
    evses: int = 2,
    seed: int = 0,
    extra: str = "",
) -> AsyncIterator[Live]:
    """A simulated site of ``evses`` EVSEs (no OCPI, no MQTT) serving its API.

    ``seed``: that many stored sessions first (:func:`seed_sessions`);
    ``extra``: more of the site file (e.g. an ``[ocpp]`` section, whose
    chargers the world does not simulate: a test connects them itself).
    """
    if seed:
        await seed_sessions(tmp_path / "edge.db", seed)
    path = site_file(tmp_path, "", evses=evses, extra=web_table(tmp_path, token, extra))
    config = load_config(path, ProfileLibrary().ids())
    assert config.sim is not None
    assert config.sim.start is not None
    clock = ScaledClock(speed, config.sim.start.astimezone(UTC))
    async with simulated(config, clock, tmp_path / "edge.db") as sim:
        site = sim.site
        assert site.web is not None
        async with asyncio.timeout(GUARD_S):
            await site.ready.wait()
        assert site.web.bound is not None
        yield Live(site, sim.world, clock, site.web.bound.port, sim.db)


@dataclass
class Restartable:
    """A simulated world that outlives its controllers (:func:`restartable_site`)."""

    world: SimWorld
    endpoints: Endpoints
    config: SiteConfig
    clock: ScaledClock
    db_path: Path

    @contextlib.asynccontextmanager
    async def controller(self) -> AsyncIterator[Live]:
        """A controller on the world and the store file, until the block exits.

        On exit it is cancelled (contactors opened) and its store closed; the
        world's EVs stay as they are, for the next controller to find.
        """
        db = await Database.open(self.db_path)
        endpoints = self.endpoints
        overrides = Overrides(
            endpoints=dict(endpoints.modbus), rfid_ports=dict(endpoints.rfid)
        )
        site = Site(self.config, self.clock, db, overrides)
        task = asyncio.create_task(site.run(), name="controller")
        try:
            assert site.web is not None
            async with asyncio.timeout(GUARD_S):
                await site.ready.wait()
            assert site.web.bound is not None
            yield Live(site, self.world, self.clock, site.web.bound.port, db)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await db.close()


@contextlib.asynccontextmanager
async def restartable_site(
    tmp_path: Path, *, speed: float = 20.0, evses: int = 2, extra: str = ""
) -> AsyncIterator[Restartable]:
    """:func:`live_site`'s site, whose controller a test starts and stops itself.

    The world runs throughout (no scheduled EVs: the test plugs them in); each
    ``async with rig.controller() as live`` is one controller life on the same
    SQLite file (a restart).
    """
    path = site_file(tmp_path, "", evses=evses, extra=web_table(tmp_path, TOKEN, extra))
    config = load_config(path, ProfileLibrary().ids())
    assert config.sim is not None
    assert config.sim.start is not None
    clock = ScaledClock(speed, config.sim.start.astimezone(UTC))
    world = SimWorld(config, clock)
    endpoints = await world.start()
    task = asyncio.create_task(world.run(), name="sim world")
    try:
        yield Restartable(world, endpoints, config, clock, tmp_path / "edge.db")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await world.close()


CARDS = ("04A23B1C00", "62E3086CED")
"""The site file's tokens (tests.integration.sites)."""


async def seed_sessions(db_path: Path, count: int = 12) -> list[Session]:
    """``count`` completed sessions in the store, alternating EVSE and card.

    Session n starts at 2026-03-01T00:00Z + n hours and takes 1000 + n Wh; one
    dead letter (the first session, refused by the receiver) for the sync
    status.
    """
    db = await Database.open(db_path)
    made: list[Session] = []
    try:
        for n in range(count):
            start = SEED_START + timedelta(hours=n)
            session = Session(
                id=f"seed-{n:03d}",
                evse_uid=f"E{n % 2 + 1}",
                token_uid=CARDS[n % 2],
                token_type="RFID",
                contract_id=CARDS[n % 2],
                auth_method="WHITELIST",
                auth_reason="LOCAL",
                status=SessionStatus.ACTIVE,
                start=start,
                end=None,
                meter_start_wh=100_000,
                meter_last_wh=100_000,
                meter_stop_wh=None,
                stop_reason=None,
                last_updated=start,
            )
            end = start + timedelta(minutes=30)
            await db.run(lambda d, s=session: store_sessions.start_session(d, s))
            await db.run(
                lambda d, s=session, e=end, wh=1000 + n: store_sessions.stop_session(
                    d, s.id, s.meter_start_wh + wh, e, "EV_DISCONNECTED"
                )
            )
            made.append(session)

        def refuse_one(d) -> None:
            with transaction(d) as conn:
                items = outbox.claim(conn, "seed", SEED_START, 60, 100)
                row = next(i for i in items if i.key == "sessions:seed-000")
                outbox.dead_letter(
                    conn, row, "seed", "PUT: 2001 unknown location", SEED_START
                )
                outbox.release_owner(conn, "seed")

        await db.run(refuse_one)
    finally:
        await db.close()
    return made
