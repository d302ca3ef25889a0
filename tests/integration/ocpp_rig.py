"""A central system on a loopback port, and charge points of hal_sim to meet it."""

from __future__ import annotations

import os
import ssl
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from edge.auth.authorizer import Authorizer, LocalToken
from edge.config.ocpp import OcppSection
from edge.model.clock import Clock, SystemClock
from edge.ocpp import server
from edge.ocpp.central import CentralSystem
from edge.ocpp.declared import declared
from edge.ocpp.handlers.backing import SiteBacking
from edge.store.db import Database

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
