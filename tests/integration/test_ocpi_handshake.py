"""The credentials handshake over real HTTP: register, update, unregister, failures."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from edge.model.clock import ScaledClock
from edge.ocpi import CredentialsRole
from edge.uplink.ocpi.client import HandshakeError, HttpStatusError, OcpiClient
from edge.uplink.ocpi.registration import CredentialsStore, Handshake, ServerTokens
from edge.uplink.ocpi.serve import CpoServer, serving
from hal_sim.backoffice.server import SimBackoffice
from tests.integration.ocpi_rig import T0, rig

ROLE = CredentialsRole.model_validate(
    {
        "role": "CPO",
        "business_details": {"name": "Depot"},
        "party_id": "EXA",
        "country_code": "NL",
    }
)


async def test_register_keeps_token_c_in_a_0600_file_and_kills_token_a(tmp_path: Path):
    async with rig(tmp_path) as r:
        up = r.uplink
        creds = up.creds
        assert creds is not None
        assert creds.ready
        assert creds.token_c
        assert creds.token_b
        assert creds.token_c != creds.token_b
        assert str(creds.peer_party) == "DE*MSP"
        assert {e.identifier for e in creds.endpoints} >= {
            "credentials",
            "locations",
            "sessions",
            "cdrs",
            "tariffs",
            "tokens",
        }
        mode = stat.S_IMODE((tmp_path / "ocpi.json").stat().st_mode)
        assert mode == 0o600
        # the backoffice called our versions endpoint back with token B, then C works
        methods = [(x.method, x.module) for x in r.bo.state.log[:3]]
        assert methods == [
            ("GET", "versions"),
            ("GET", "versions"),
            ("POST", "credentials"),
        ]
        [reg] = r.bo.state.registrations.values()
        assert reg.token_b == creds.token_b
        assert reg.token_c == creds.token_c
        # token A is dead now
        async with OcpiClient() as client:
            with pytest.raises(HttpStatusError) as caught:
                await client.call("GET", r.bo.versions_url, token=r.bo.token_a)
        assert caught.value.http_status == 401
        # a restart uses the stored token C: no second registration
        await r.stop()
        again = await r.start()
        assert again.creds is not None
        assert again.creds.token_c == creds.token_c
        assert len(r.bo.state.registrations) == 1


async def test_update_rotates_tokens_and_unregister_forgets_them(tmp_path: Path):
    async with rig(tmp_path) as r:
        up = r.uplink
        old = up.creds
        new = await up.handshake.update(old, up.server.versions_url)
        assert new.token_c != old.token_c
        assert new.token_b != old.token_b
        assert up.tokens.accepted() == {new.token_b}
        async with OcpiClient() as client:
            with pytest.raises(HttpStatusError):  # the old token C is refused now
                await client.call(
                    "GET", r.bo.backoffice.module_url("credentials"), token=old.token_c
                )
        await up.handshake.unregister(new)
        assert not (tmp_path / "ocpi.json").exists()
        assert r.bo.state.registrations == {}
        assert up.tokens.accepted() == set()


async def test_unreachable_callback_is_3001_with_advice(tmp_path: Path):
    clock = ScaledClock(1.0, T0)
    async with SimBackoffice(clock) as bo, OcpiClient(timeout_s=2) as client:
        hs = Handshake(
            client, CredentialsStore(tmp_path / "c.json"), ServerTokens(), [ROLE], clock
        )
        # our versions URL points at a closed port: the backoffice cannot call back
        with pytest.raises(HandshakeError, match=r"3001.*reachable"):
            await hs.register(
                bo.versions_url, bo.token_a, "http://127.0.0.1:9/ocpi/cpo/versions"
            )
        assert not (tmp_path / "c.json").exists()
        assert bo.state.registrations == {}
        assert not bo.state.token_a_used


async def test_wrong_token_a_is_reported_not_retried_silently(tmp_path: Path):
    clock = ScaledClock(1.0, T0)
    async with SimBackoffice(clock) as bo, OcpiClient(timeout_s=2) as client:
        hs = Handshake(
            client, CredentialsStore(tmp_path / "c.json"), ServerTokens(), [ROLE], clock
        )
        with pytest.raises(HandshakeError, match="HTTP 401"):
            await hs.register(bo.versions_url, "not-the-token", "http://x/versions")


async def test_strict_backoffice_refuses_raw_tokens(tmp_path: Path):
    async with rig(tmp_path, section={"base64_token": False}, start=False) as r:
        up = r.new_uplink()
        try:
            with pytest.raises(HandshakeError, match="401"):
                await up.handshake.register(
                    r.bo.versions_url, r.bo.token_a, "http://127.0.0.1:9/versions"
                )
        finally:
            await up.aclose()


async def test_our_endpoints_check_token_b_and_answer_405_to_registration():
    clock = ScaledClock(1.0, T0)
    tokens = ServerTokens("token-B")
    server = CpoServer(clock, [ROLE], tokens.accepted)
    async with serving(server.app, "127.0.0.1", 0) as bound, OcpiClient() as client:
        server.public_url = bound.base_url
        reply = await client.call("GET", server.versions_url, token="token-B")
        assert reply.data == [
            {"version": "2.2.1", "url": f"{bound.base_url}/ocpi/cpo/2.2.1"}
        ]
        client.base64_token = False  # 2.2 peers send raw tokens; accepted too
        details = await client.call(
            "GET", f"{bound.base_url}/ocpi/cpo/2.2.1", token="token-B"
        )
        assert details.data["endpoints"][0]["identifier"] == "credentials"
        client.base64_token = True
        with pytest.raises(HttpStatusError) as caught:
            await client.call("GET", server.versions_url, token="token-X")
        assert caught.value.http_status == 401
        with pytest.raises(HttpStatusError) as caught:
            await client.call(
                "POST",
                f"{bound.base_url}/ocpi/cpo/2.2.1/credentials",
                token="token-B",
                body={},
            )
        assert caught.value.http_status == 405
