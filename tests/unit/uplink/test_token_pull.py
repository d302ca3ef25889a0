"""The token puller against httpx.MockTransport: bad tokens, shrinking lists, Links."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx  # noqa: TID251 - the client is driven through httpx.MockTransport
import pytest

from edge.model.clock import ManualClock
from edge.store.db import Database
from edge.uplink.ocpi.client import OcpiClient, Party, Route
from edge.uplink.ocpi.errors import MalformedResponse
from edge.uplink.ocpi.tokens import MemoryTokenSink, TokenPuller, TokenSource

URL = "https://emsp.example/ocpi/2.2.1/tokens"
STAMP = "2026-03-02T10:00:00Z"


def token(n: int) -> dict[str, object]:
    return {
        "country_code": "DE",
        "party_id": "MSP",
        "uid": f"UID{n:04d}",
        "type": "RFID",
        "contract_id": f"C{n}",
        "issuer": "eMSP",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": "2026-03-01T00:00:00Z",
    }


def page(items, total: int, next_url: str | None = None) -> httpx.Response:
    headers = {"X-Total-Count": str(total)}
    if next_url:
        headers["Link"] = f'<{next_url}>; rel="next"'
    return httpx.Response(
        200,
        headers=headers,
        json={"data": items, "status_code": 1000, "timestamp": STAMP},
    )


async def puller(
    tmp_path: Path, handler
) -> tuple[TokenPuller, MemoryTokenSink, Database]:
    db = await Database.open(tmp_path / "edge.db")
    client = OcpiClient(transport=httpx.MockTransport(handler))
    sink = MemoryTokenSink()
    source = TokenSource(URL, "tok", Route(Party("NL", "EXA"), Party("DE", "MSP")))
    clock = ManualClock(datetime(2026, 3, 2, 11, tzinfo=UTC))
    return TokenPuller(client, db, clock, sink, lambda: source, 2), sink, db


async def test_invalid_tokens_are_skipped_the_valid_ones_kept(tmp_path: Path) -> None:
    bad = {**token(2), "whitelist": "SOMETIMES"}
    p, sink, db = await puller(tmp_path, lambda r: page([token(1), bad], 2))
    try:
        result = await p.pull()
        again = await p.pull()
    finally:
        await p.client.aclose()
        await db.close()
    assert (result.received, result.invalid, result.full) == (1, 1, True)
    assert [k[2] for k in sink.tokens] == ["UID0001"]
    assert again.date_from == STAMP  # the eMSP's clock, not ours


async def test_a_shrinking_list_rereads_with_a_lower_offset(tmp_path: Path) -> None:
    items = [token(n) for n in range(6)]
    seen: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        offset = int(parse_qs(urlsplit(str(request.url)).query)["offset"][0])
        seen.append(offset)
        if len(seen) == 2:
            del items[0]  # an object moved out of the window while we crawl
        nxt = f"{URL}?offset={offset + 2}&limit=2" if offset + 2 < len(items) else None
        return page(items[offset : offset + 2], len(items), nxt)

    p, sink, db = await puller(tmp_path, handler)
    try:
        await p.pull()
    finally:
        await p.client.aclose()
        await db.close()
    assert seen[:3] == [0, 2, 1]  # page 2 again, one lower
    assert {k[2] for k in sink.tokens} == {f"UID{n:04d}" for n in range(6)}


async def test_a_link_to_another_origin_is_refused(tmp_path: Path) -> None:
    p, sink, db = await puller(
        tmp_path, lambda r: page([token(1)], 3, "https://evil.example/tokens?offset=2")
    )
    try:
        with pytest.raises(MalformedResponse, match="another origin"):
            await p.pull()
    finally:
        await p.client.aclose()
        await db.close()
    assert len(sink.tokens) == 1
