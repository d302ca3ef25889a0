"""The eMSP pushes tokens to our Tokens receiver, over real HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.ocpi import Token, TokenType
from edge.uplink.ocpi.pull import MemoryTokenSink
from hal_sim.backoffice.client import PeerHttpError, PeerStatusError
from hal_sim.backoffice.cpo import CpoPeer
from hal_sim.backoffice.tokens import sample_tokens
from tests.integration.ocpi_rig import T0, Rig, rig


def cache(r: Rig) -> MemoryTokenSink:
    assert r.uplink is not None
    assert isinstance(r.uplink.sink, MemoryTokenSink)
    return r.uplink.sink


async def test_put_get_patch_merge(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        peer = CpoPeer(r.bo.backoffice)
        token = sample_tokens(1, T0)[0]
        assert (await peer.put_token(token)).http_status == 201
        assert await peer.get_token("DE", "MSP", token.uid) == token
        again = token.model_copy(update={"issuer": "Renamed eMSP"})
        assert (await peer.put_token(again)).http_status == 200
        later = "2026-03-02T09:00:00Z"
        await peer.patch_token(
            "de", "msp", token.uid, {"valid": False, "last_updated": later}
        )
        held = await peer.get_token("DE", "MSP", token.uid)
        assert held.valid is False
        assert held.issuer == "Renamed eMSP"  # unchanged fields kept
        assert held.contract_id == token.contract_id
        cached = cache(r).tokens[("DE", "MSP", token.uid.upper(), "RFID")]
        assert cached == held


async def test_refusals_name_the_field(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        peer = CpoPeer(r.bo.backoffice)
        token = sample_tokens(1, T0)[0]
        await peer.put_token(token)
        with pytest.raises(PeerStatusError, match=r"token\.last_updated: required"):
            await peer.patch_token("DE", "MSP", token.uid, {"valid": False})
        with pytest.raises(PeerStatusError, match=r"token\.whitelist"):
            await peer.patch_token(
                "DE",
                "MSP",
                token.uid,
                {"whitelist": "SOMETIMES", "last_updated": "2026-03-02T09:00:00Z"},
            )
        with pytest.raises(PeerStatusError, match=r"token\.uid .* URL token_uid"):
            await peer.patch_token(
                "DE",
                "MSP",
                token.uid,
                {"uid": "OTHER", "last_updated": "2026-03-02T09:00:00Z"},
            )
        body = token.model_dump_ocpi()
        del body["issuer"]
        url = await peer.url("tokens", "RECEIVER")
        with pytest.raises(PeerStatusError, match=r"token\.issuer: required") as err:
            await peer._call("PUT", f"{url}/DE/MSP/{token.uid}", body)
        assert err.value.status_code == 2001
        with pytest.raises(PeerStatusError, match=r"type .*APP_USER"):
            await peer._call(
                "PUT", f"{url}/DE/MSP/{token.uid}", token.model_dump_ocpi(),
                {"type": "APP_USER"},
            )  # fmt: skip
        with pytest.raises(PeerStatusError, match="query parameter type"):
            await peer._call("GET", f"{url}/DE/MSP/{token.uid}", params={"type": "X"})
        with pytest.raises(PeerStatusError, match="JSON object"):
            await peer._call("PUT", f"{url}/DE/MSP/{token.uid}", "not an object")
        # a party that is not the caller's
        foreign = token.model_copy(update={"party_id": "OTH"})
        with pytest.raises(PeerHttpError, match="404") as denied:
            await peer.put_token(foreign)
        assert denied.value.ocpi_status == 2001
        assert "DE*OTH" in str(denied.value.ocpi_message)
        # tokens we do not hold
        with pytest.raises(PeerHttpError) as missing:
            await peer.get_token("DE", "MSP", "FFFF", TokenType.APP_USER)
        assert (missing.value.http_status, missing.value.ocpi_status) == (404, 2004)
        with pytest.raises(PeerHttpError) as missing:
            await peer.patch_token(
                "DE",
                "MSP",
                "FFFF",
                {"valid": False, "last_updated": "2026-03-02T09:00:00Z"},
            )
        assert missing.value.ocpi_status == 2004
        # nothing bad reached the cache
        assert list(cache(r).tokens.values()) == [token]
        assert isinstance(next(iter(cache(r).tokens.values())), Token)
