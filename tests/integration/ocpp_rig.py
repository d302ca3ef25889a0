"""A central system on a loopback port, and charge points of hal_sim to meet it.

In process (:func:`central_system`), or as ``edge run`` of the OCPP demo
(config/demo-ocpp.toml) on a free port (:func:`demo_site`, :func:`edge_run`).
"""

from __future__ import annotations

import asyncio
import os
import ssl
import subprocess
import tempfile
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from edge.auth.authorizer import Authorizer, LocalToken
from edge.config.ocpp import OcppCharger, OcppSection
from edge.model.clock import Clock, SystemClock
from edge.ocpp import server
from edge.ocpp.central import CentralSystem
from edge.ocpp.declared import declared
from edge.ocpp.evse import OcppEvse, ocpp_evses
from edge.ocpp.handlers.backing import SiteBacking
from edge.store.db import Database
from hal_sim.ocpp.charge_point import SimChargePoint
from hal_sim.ocpp.link import LinkLost, open_link
from hal_sim.ocpp.sim_charger import SimOcppCharger
from hal_sim.ocpp.sim_station_201 import SimOcppStation
from hal_sim.visits import TruthLog
from tests.integration.ocpi_rig import until
from tests.integration.processes import start, wait_for

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "config" / "demo-ocpp.toml"
PASSWORD = "s3cret-Pa55word-16"
CARD = "04A1B2C3000001"
"""A card the rig's token list allows (ALWAYS)."""
BLOCKED_CARD = "04A1B2C3000002"
"""A card the rig's token list holds as not valid."""
GROUP = "FLEET-7"
"""The group (parentIdTag) of both cards."""

TOKENS = (
    LocalToken(CARD, group_id=GROUP),
    LocalToken(BLOCKED_CARD, group_id=GROUP, valid=False),
)


def section(tmp_path: Path, **extra: object) -> OcppSection:
    """CP001 (two connectors, a password) and CP002 (none: loopback)."""
    pw = tmp_path / "cp001.password"
    pw.write_text(PASSWORD + "\n")
    os.chmod(pw, 0o600)
    raw: dict[str, object] = {
        "listen_port": 0,
        "heartbeat_interval_s": 120,
        "charger": [
            {
                "identity": "CP001",
                "password_file": str(pw),
                "connector": [
                    {"id": 1, "evse_uid": "CP001-1"},
                    {"id": 2, "evse_uid": "CP001-2"},
                ],
            },
            {"identity": "CP002", "connector": [{"id": 1, "evse_uid": "CP002-1"}]},
        ],
    }
    raw.update(extra)
    return OcppSection.model_validate(raw)


@asynccontextmanager
async def site_backing(
    db_path: Path | None = None,
    clock: Clock | None = None,
    tokens: Sequence[LocalToken] = TOKENS,
) -> AsyncIterator[SiteBacking]:
    """A real SQLite file (in a temporary directory unless given) and authorizer."""
    with tempfile.TemporaryDirectory() as scratch:
        path = db_path or Path(scratch) / "edge.db"
        db = await Database.open(path)
        try:
            authorizer = Authorizer(db, clock or SystemClock(), tokens)
            await authorizer.start()
            yield SiteBacking(db, authorizer)
        finally:
            await db.close()


@asynccontextmanager
async def central_system(
    cfg: OcppSection,
    ssl_context: ssl.SSLContext | None = None,
    *,
    db_path: Path | None = None,
    clock: Clock | None = None,
) -> AsyncIterator[tuple[CentralSystem, server.OcppServer]]:
    """The central system listening for ``cfg``'s chargers."""
    site_clock = clock or SystemClock()
    async with site_backing(db_path, site_clock) as site:
        central = CentralSystem(cfg, declared(cfg), site_clock, site)
        listening = await server.start(central, ssl_context)
        try:
            yield central, listening
        finally:
            await listening.close()


async def charge_point(
    srv: server.OcppServer, identity: str = "CP002", clock: Clock | None = None
) -> tuple[SimChargePoint, asyncio.Task[LinkLost]]:
    """hal_sim's 1.6J charge point connected as ``identity`` and running.

    Not booted; CP001 gives :func:`section`'s password. ``clock``: the
    charger's own (wall time unless given).
    """
    password = PASSWORD.encode() if identity == "CP001" else None
    link = await open_link(srv.url("127.0.0.1", identity), identity, password)
    cp = SimChargePoint(identity, link, clock or SystemClock())
    return cp, asyncio.create_task(cp.run())


async def booted_charge_point(
    srv: server.OcppServer, central: CentralSystem, identity: str = "CP002"
) -> tuple[SimChargePoint, asyncio.Task[LinkLost]]:
    """:func:`charge_point`, booted: its connection is registered."""
    cp, run = await charge_point(srv, identity)
    await cp.boot()
    assert identity in central.connections
    return cp, run


SimOcpp = TypeVar("SimOcpp", SimOcppCharger, SimOcppStation)
"""edge sim's simulated charger of either version."""


@dataclass
class SimAtCentral(Generic[SimOcpp]):
    """edge sim's simulated charger connected to a central system."""

    sim: SimOcpp
    central: CentralSystem
    port: OcppEvse
    """The EVSE port of its connector 1."""
    truth: TruthLog
    """The truth lines its visits write."""


@asynccontextmanager
async def sim_at_central(
    cfg: OcppSection,
    identity: str,
    make: Callable[[OcppCharger, Clock, float, TruthLog], SimOcpp],
) -> AsyncIterator[SimAtCentral[SimOcpp]]:
    """``make``'s simulated ``identity`` of ``cfg`` booted at its central system.

    Its connector 1 is AVAILABLE; it runs (reconnecting) until the block ends.
    """
    clock = SystemClock()
    truth = TruthLog(clock)
    async with central_system(cfg) as (central, srv):
        charger = next(c for c in cfg.charger if c.identity == identity)
        sim = make(charger, clock, 1_000_000, truth)
        task = asyncio.create_task(sim.run(srv.url("127.0.0.1", identity)))
        try:
            await asyncio.wait_for(sim.connected.wait(), 10)
            port = ocpp_evses(central)[f"{identity}-1"]
            await until(lambda: port.view().status.value == "AVAILABLE")
            yield SimAtCentral(sim, central, port, truth)
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


def demo_site(tmp_path: Path, port: int, *, cp002: str = "ocpp1.6") -> Path:
    """The OCPP demo's site file listening on ``port``; CP002 speaks ``cp002``.

    Not on the demo's 9000: sessions that share the machine may run it too.
    """
    text = DEMO.read_text()
    head, tail = text.split('identity = "CP002"')
    assert "listen_port = 9000" in head
    tail = tail.replace('protocol = "ocpp1.6"', f'protocol = "{cp002}"', 1)
    path = tmp_path / "site.toml"
    head = head.replace("listen_port = 9000", f"listen_port = {port}")
    path.write_text(head + 'identity = "CP002"' + tail)
    return path


def edge_run(site: Path, db: Path, log: Path, port: int) -> subprocess.Popen[bytes]:
    """``edge -v run`` of ``site`` as a process, once its OCPP server on ``port``
    listens (its log says so: not whoever else may hold the port)."""
    banner = f"OCPP central system on ws://127.0.0.1:{port}/"
    mark = log.read_text().count(banner) if log.exists() else 0  # a restart's log
    proc = start(["edge", "-v", "run", "--config", str(site), "--db", str(db)], log)
    wait_for(
        f"the OCPP server on :{port}",
        lambda: log.read_text().count(banner) > mark or proc.poll() is not None,
        timeout=60,
    )
    assert proc.poll() is None, log.read_text()
    return proc
