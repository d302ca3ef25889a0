"""The backoffice pulls what it missed from our Sender interfaces, over real HTTP."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.ocpi import Connector, format_ocpi_datetime
from edge.uplink.ocpi.serve.pagination import MAX_LIMIT
from hal_sim.backoffice.client import PeerHttpError, PeerStatusError
from hal_sim.backoffice.cpo import CpoPeer
from tests.integration.ocpi_rig import T0, Rig, rig

KEY = ("NL", "EXA")


async def sessions_done(r: Rig, n: int) -> None:
    """``n`` sessions, every one but the last stopped, each a minute apart."""
    for i in range(1, n + 1):
        evse = f"E{1 + i % 2}"
        await r.start_session(f"S{i}", evse)
        await r.progress(f"S{i}", evse, 1000 * i)
        if i < n:
            await r.clock.sleep(60)
            await r.stop_session(f"S{i}", evse)
        assert r.uplink is not None
        r.uplink.sender.kick.set()
    await r.drained()


async def test_pulled_lists_are_what_was_pushed(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await sessions_done(r, 4)
        peer = CpoPeer(r.bo.backoffice)
        pull = await peer.fetch_all(
            "sessions", limit=1, date_from="2000-01-01T00:00:00Z"
        )
        assert pull.pages == 4  # one per page, reached through the Link headers
        assert pull.totals == [4, 4, 4, 4]
        assert pull.limit == MAX_LIMIT
        assert [s["id"] for s in pull.objects] == ["S1", "S2", "S3", "S4"]
        for s in pull.objects:  # the same object the push delivered
            assert s == r.bo.state.sessions[(*KEY, str(s["id"]))]
        assert "date_from=2000-01-01T00%3A00%3A00Z" in pull.urls[1]
        cdrs = await peer.fetch_all("cdrs", limit=2)
        assert cdrs.pages == 2
        assert [c["id"] for c in cdrs.objects] == ["S1", "S2", "S3"]  # S4 still runs
        for c in cdrs.objects:
            assert c == r.bo.state.cdrs[(*KEY, str(c["id"]))]
        locations = await peer.fetch_all("locations")
        assert [x["id"] for x in locations.objects] == ["LOC1"]
        pushed = r.bo.state.locations[(*KEY, "LOC1")]
        assert locations.objects[0]["evses"] == pushed["evses"]
        tariffs = await peer.fetch_all("tariffs")
        assert (tariffs.objects, tariffs.totals) == ([], [0])  # none configured


async def test_date_window_from_inclusive_to_exclusive(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await sessions_done(r, 3)
        stored = {s.id: s for s in await r.sessions()}
        peer = CpoPeer(r.bo.backoffice)
        edge = format_ocpi_datetime(stored["S2"].last_updated)
        newer = await peer.fetch_all("sessions", date_from=edge)
        assert {s["id"] for s in newer.objects} == {
            sid
            for sid, s in stored.items()
            if s.last_updated >= stored["S2"].last_updated
        }
        assert "S2" in {s["id"] for s in newer.objects}
        older = await peer.fetch_all("sessions", date_from="2000-01-01T00:00:00Z",
                                     date_to=edge)  # fmt: skip
        assert "S2" not in {s["id"] for s in older.objects}
        assert {s["id"] for s in older.objects} | {s["id"] for s in newer.objects} == {
            "S1",
            "S2",
            "S3",
        }
        cdr_edge = format_ocpi_datetime(stored["S1"].end or T0)
        assert [
            c["id"] for c in (await peer.fetch_all("cdrs", date_to=cdr_edge)).objects
        ] == []


async def test_one_location_evse_connector_and_unknown_ones(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.drained()
        peer = CpoPeer(r.bo.backoffice)
        whole = (await peer.get("locations", "LOC1")).data
        assert isinstance(whole, dict)
        assert whole["id"] == "LOC1"
        evse = (await peer.get("locations", "LOC1", "E2")).data
        assert isinstance(evse, dict)
        assert evse["uid"] == "E2"
        conn = Connector.model_validate(
            (await peer.get("locations", "LOC1", "E2", "1")).data
        )
        assert conn.max_amperage == 16
        for path in (("NOPE",), ("LOC1", "E9"), ("LOC1", "E1", "2")):
            with pytest.raises(PeerHttpError) as err:
                await peer.get("locations", *path)
            assert (err.value.http_status, err.value.ocpi_status) == (404, 2003)


async def test_bad_queries_are_named_and_tokens_checked(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        await r.drained()
        peer = CpoPeer(r.bo.backoffice)
        with pytest.raises(PeerStatusError, match="date_from is required"):
            await peer.fetch_all("sessions")
        with pytest.raises(PeerStatusError, match="limit") as err:
            await peer.fetch_all("cdrs", limit=0)
        assert err.value.status_code == 2001
        with pytest.raises(PeerStatusError, match="date_to"):
            await peer.fetch_all("cdrs", date_to="yesterday")
        url = await peer.url("cdrs", "SENDER")
        for token in ("wrong", r.bo.token_a):  # token A is for registration only
            with pytest.raises(PeerHttpError) as denied:
                await r.bo.backoffice.client.call("GET", url, token=token)
            assert denied.value.http_status == 401
        # version details publish the Sender interfaces and the Tokens receiver;
        # without a site port, Commands is not published
        published = await peer.published()
        assert {
            ("locations", "SENDER"),
            ("sessions", "SENDER"),
            ("cdrs", "SENDER"),
            ("tariffs", "SENDER"),
            ("tokens", "RECEIVER"),
        } <= published
        assert ("commands", "RECEIVER") not in published
