"""OCPP 1.6J Authorize over a real websocket, decided by the site's authorizer."""

from __future__ import annotations

import asyncio
import logging

from edge.model.clock import SystemClock
from hal_sim.ocpp.charge_point import IdTagAnswer, SimChargePoint
from hal_sim.ocpp.link import open_link
from tests.integration.ocpp_rig import (
    BLOCKED_CARD,
    CARD,
    GROUP,
    central_system,
    section,
)


async def test_authorize_allowed_blocked_and_unknown(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    async with central_system(section(tmp_path)) as (central, srv):
        link = await open_link(srv.url("127.0.0.1", "CP002"), "CP002")
        cp = SimChargePoint("CP002", link, SystemClock())
        run = asyncio.create_task(cp.run())
        assert await cp.authorize(CARD) == IdTagAnswer("Accepted", GROUP)
        assert await cp.authorize(CARD.lower()) == IdTagAnswer("Accepted", GROUP)
        assert await cp.authorize(BLOCKED_CARD) == IdTagAnswer("Blocked", GROUP)
        assert await cp.authorize("DEADBEEF0001") == IdTagAnswer("Invalid")

        await central.site.authorization.set_blocked(CARD, True)  # type: ignore[attr-defined]
        assert await cp.authorize(CARD) == IdTagAnswer("Blocked", GROUP)
        await link.close()
        await run
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("edge.")]
    assert not [m for m in ours if "DEADBEEF0001" in m]  # idTags are redacted
    assert any("Invalid (" in m and "unknown token denied" in m for m in ours)
