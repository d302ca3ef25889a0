"""OCPP 1.6J Authorize over a real websocket, decided by the site's authorizer."""

from __future__ import annotations

import logging

from hal_sim.ocpp.charge_point import IdTagAnswer
from tests.integration.ocpp_rig import (
    BLOCKED_CARD,
    CARD,
    GROUP,
    central_system,
    charge_point,
    section,
)


async def test_authorize_allowed_blocked_and_unknown(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    async with central_system(section(tmp_path)) as (central, srv):
        cp, run = await charge_point(srv)
        assert await cp.authorize(CARD) == IdTagAnswer("Accepted", GROUP)
        assert await cp.authorize(CARD.lower()) == IdTagAnswer("Accepted", GROUP)
        assert await cp.authorize(BLOCKED_CARD) == IdTagAnswer("Blocked", GROUP)
        assert await cp.authorize("DEADBEEF0001") == IdTagAnswer("Invalid")

        await central.site.authorization.set_blocked(CARD, True)  # type: ignore[attr-defined]
        assert await cp.authorize(CARD) == IdTagAnswer("Blocked", GROUP)
        await cp.link.close()
        await run
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("edge.")]
    assert not [m for m in ours if "DEADBEEF0001" in m]  # idTags are redacted
    assert any("Invalid (" in m and "unknown token denied" in m for m in ours)
