"""The token puller against the simulated eMSP over loopback: bad tokens, a list
that shrinks while we crawl it, a Link to another origin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge.model.clock import ManualClock
from edge.ocpi import format_ocpi_datetime
from edge.ocpi.party import Party
from edge.store.db import Database
from edge.uplink.ocpi.client import MalformedResponse, OcpiClient, Route
from edge.uplink.ocpi.pull import MemoryTokenSink, TokenPuller, TokenSource
from hal_sim.backoffice.registration import emsp_role
from hal_sim.backoffice.server import SimBackoffice
from hal_sim.backoffice.state import Registration
from hal_sim.backoffice.tokens import sample_tokens

EMSP_NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
TOKENS = sample_tokens(6, datetime(2026, 3, 1, tzinfo=UTC))
TOKEN_C = "tok-C"


@pytest.fixture
async def bo() -> AsyncIterator[SimBackoffice]:
    """The eMSP (its clock at EMSP_NOW) with six tokens, two per page."""
    async with SimBackoffice(
        ManualClock(EMSP_NOW), page_limit=2, tokens=list(TOKENS)
    ) as backoffice:
        backoffice.state.registrations[TOKEN_C] = Registration(
            token_c=TOKEN_C,
            token_b="tok-B",
            versions_url="http://127.0.0.1/cpo/versions",
            roles=[emsp_role("NL", "EXA", "CPO")],
        )
        yield backoffice


@pytest.fixture
async def puller(
    tmp_path: Path, bo: SimBackoffice
) -> AsyncIterator[tuple[TokenPuller, MemoryTokenSink]]:
    db = await Database.open(tmp_path / "edge.db")
    client = OcpiClient()
    sink = MemoryTokenSink()
    source = TokenSource(
        bo.backoffice.module_url("tokens"),
        TOKEN_C,
        Route(Party("NL", "EXA"), Party("DE", "MSP")),
    )
    clock = ManualClock(datetime(2026, 3, 2, 11, tzinfo=UTC))  # ours runs ahead
    try:
        yield TokenPuller(client, db, clock, sink, lambda: source, 2), sink
    finally:
        await client.aclose()
        await db.close()


async def test_invalid_tokens_are_skipped_the_valid_ones_kept(bo, puller) -> None:
    p, sink = puller
    bo.backoffice.tokens.mangled[TOKENS[1].uid] = {"whitelist": "SOMETIMES"}
    result = await p.pull()
    again = await p.pull()
    assert (result.received, result.invalid, result.full) == (5, 1, True)
    assert {k[2] for k in sink.tokens} == {t.uid for t in TOKENS} - {TOKENS[1].uid}
    # the next pull asks from when this one started, by the eMSP's clock
    assert again.date_from == format_ocpi_datetime(EMSP_NOW)
    assert "date_from=" in bo.state.received("tokens")[-1].key


async def test_a_shrinking_list_rereads_with_a_lower_offset(bo, puller) -> None:
    p, sink = puller
    pages: list[int] = []

    def page(offset: int) -> None:
        pages.append(offset)
        if len(pages) == 2:  # an object moves out of the window while we crawl
            del bo.state.tokens[0]

    bo.backoffice.tokens.before_page = page
    await p.pull()
    assert pages[:3] == [0, 2, 1]  # page 2 again, one lower
    assert {k[2] for k in sink.tokens} == {t.uid for t in TOKENS}


async def test_a_link_to_another_origin_is_refused(bo, puller) -> None:
    p, sink = puller
    bo.backoffice.tokens.link_origin = "https://evil.example"
    with pytest.raises(MalformedResponse, match="another origin"):
        await p.pull()
    assert len(sink.tokens) == 2  # the first page, from the registered origin
    assert len(bo.state.received("tokens")) == 1  # nothing sent to evil.example
