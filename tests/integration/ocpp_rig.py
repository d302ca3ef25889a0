"""A central system on a loopback port, and charge points of hal_sim to meet it."""

from __future__ import annotations

import os
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from edge.config.ocpp import OcppSection
from edge.model.clock import SystemClock
from edge.ocpp import server
from edge.ocpp.central import CentralSystem
from edge.ocpp.declared import declared

PASSWORD = "s3cret-Pa55word-16"


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
async def central_system(
    cfg: OcppSection, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[tuple[CentralSystem, server.OcppServer]]:
    """The central system listening for ``cfg``'s chargers."""
    central = CentralSystem(cfg, declared(cfg), SystemClock())
    listening = await server.start(central, ssl_context)
    try:
        yield central, listening
    finally:
        await listening.close()
