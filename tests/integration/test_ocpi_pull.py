"""Tokens from the simulated eMSP: paginated full and incremental pulls, authorize."""

from __future__ import annotations

import time
from pathlib import Path

from edge.ocpi import AllowedType, LocationReferences, TokenType
from edge.uplink.ocpi.pull import MemoryTokenSink
from hal_sim.backoffice.faults import Fault
from hal_sim.backoffice.tokens import sample_tokens
from tests.integration.ocpi_rig import T0, rig, until


def pulls(r) -> list[str]:
    return [x.key for x in r.bo.state.log if x.module == "tokens" and x.method == "GET"]


async def test_full_pull_follows_pages_then_incremental_by_date_from(tmp_path: Path):
    tokens = sample_tokens(120, T0.replace(hour=0))
    bo = {"tokens": tokens, "page_limit": 50}
    async with rig(tmp_path, backoffice=bo, section={"token_page_limit": 100}) as r:
        sink = r.uplink.sink
        assert isinstance(sink, MemoryTokenSink)
        await until(lambda: len(sink.tokens) == 120)
        # we asked for 100, the eMSP caps pages at 50 (X-Limit): three pages
        assert len(pulls(r)) == 3
        assert "date_from" not in pulls(r)[0]
        await r.clock.sleep(600)
        r.bo.backoffice.tokens.update(tokens[7].uid, valid=False)
        r.bo.backoffice.tokens.update(tokens[99].uid, whitelist="NEVER")
        result = await r.uplink.puller.pull()
        assert (result.received, result.pages, result.full) == (2, 1, False)
        assert "date_from=" in pulls(r)[-1]
        by_uid = {t.uid: t for t in sink.tokens.values()}
        assert by_uid[tokens[7].uid].valid is False
        assert by_uid[tokens[99].uid].whitelist.value == "NEVER"
        assert len(sink.tokens) == 120
        again = await r.uplink.puller.pull()  # nothing changed since
        assert again.received == 0


async def test_real_time_authorization(tmp_path: Path):
    tokens = sample_tokens(3, T0.replace(hour=0))
    async with rig(
        tmp_path,
        speed=1.0,  # auth.remote_timeout_s is site time
        backoffice={"tokens": tokens},
        section={"request_timeout_s": 1.0},
    ) as r:
        up = r.uplink
        where = LocationReferences(location_id="LOC1", evse_uids=["E1"])
        info = await up.authorize_remote(tokens[1].uid, where)
        assert info is not None
        assert info.allowed is AllowedType.ALLOWED
        assert info.token.uid == tokens[1].uid
        assert info.location is not None
        assert info.location.evse_uids == ["E1"]
        assert info.authorization_reference
        assert await up.authorize_remote("DEADBEEF", where) is None  # 404 / 2004
        unknown = [x for x in r.bo.state.log if x.status_code == 2004]
        assert [(x.http_status, x.module) for x in unknown] == [(404, "tokens")]
        # the same through the authorization service's RemoteAuthorizer port
        bridge = up.remote_tokens()
        answer = await bridge.authorize_remote(tokens[2].uid, TokenType.RFID, "E2")
        assert answer is not None
        assert answer.info is not None
        assert answer.info.location is not None
        assert answer.info.location.evse_uids == ["E2"]
        unknown_answer = await bridge.authorize_remote("DEADBEEF", TokenType.RFID, None)
        assert unknown_answer is not None
        assert unknown_answer.info is None  # known to be unknown, not unreachable
        # a hanging eMSP: the driver does not wait longer than auth.remote_timeout_s
        r.bo.faults.hang_s = 5.0
        r.bo.faults.inject(Fault.TIMEOUT, module="tokens")
        started = time.monotonic()
        assert await up.authorize_remote(tokens[0].uid, where) is None
        assert time.monotonic() - started < up.auth_timeout_s + 1.0
