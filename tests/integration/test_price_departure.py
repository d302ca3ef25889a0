"""A session's departure through the local API, planned by price, on a simulated site.

Real HTTP to the site's web server; a real Site over hal_sim; the price plan
holds the car back until the cheap hours before the departure it was given.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.integration import raw_http
from tests.integration.board_rig import until
from tests.integration.raw_http import Reply
from tests.integration.web_rig import Live, auth, live_site

SIM_START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # tests.integration.sites


def prices(tmp_path: Path) -> Path:
    """Dear for 6 hours from the sim's start, cheap for two, then middling."""
    rows = ["start,price"]
    for k in range(48):
        price = 0.40 if k < 6 else 0.05 if k < 8 else 0.30
        rows.append(f"{(SIM_START + timedelta(hours=k)).isoformat()},{price}")
    path = tmp_path / "prices.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


def load(tmp_path: Path) -> str:
    return (
        "[load]\nmargin_a = 1.0\n"
        f'[load.prices]\nfile = "{prices(tmp_path)}"\n'
        '[[load.circuit]]\nid = "main"\nlimit_a = 40\n'
        '[[load.evse]]\nuid = "E1"\ncircuit = "main"\n'
    )


async def send(live: Live, method: bytes, target: str, body: object = None) -> Reply:
    headers = auth("api-token-0123456789abcdef")
    data = b""
    if body is not None:
        data = json.dumps(body).encode()
        headers.append((b"Content-Type", b"application/json"))
    return await raw_http.request(live.port, method, target.encode(), headers, data)


async def test_a_departure_set_through_the_api_waits_for_the_cheap_hours(
    tmp_path: Path,
) -> None:
    async with live_site(tmp_path, evses=1, extra=load(tmp_path)) as live:
        url = "/api/v1/evses/E1/departure"
        board = live.world.site.channels["E1"].board
        soon = (live.clock.utcnow() + timedelta(hours=12)).isoformat()
        none = await send(live, b"PUT", url, {"departure": soon, "energy_wh": 5000})
        assert none.status == 409, none.body
        assert none.json()["message"] == "no session runs on EVSE E1"
        assert (await send(live, b"GET", "/api/v1/evses/E9/departure")).status == 404

        live.plug_in("E1")
        started = await live.post("/api/v1/evses/E1/start")
        assert started.json()["outcome"] == "ACCEPTED", started.body
        await until(lambda: board.offered_a() >= 6)  # no departure: as fast
        assert (await send(live, b"GET", url)).status == 404  # none set

        now = live.clock.utcnow()
        past = (now - timedelta(minutes=5)).isoformat()
        late = await send(live, b"PUT", url, {"departure": past, "energy_wh": 5000})
        assert late.status == 422, late.body
        assert late.json()["field"] == "body.departure"
        assert "has passed" in str(late.json()["message"])
        vague = await send(live, b"PUT", url, {"departure": soon})
        assert vague.status == 422
        assert vague.json()["field"] == "body.energy_wh"
        naive = await send(
            live, b"PUT", url, {"departure": "2026-03-02T19:00:00", "energy_wh": 1}
        )
        assert naive.status == 422

        put = await send(live, b"PUT", url, {"departure": soon, "energy_wh": 5000})
        assert put.status == 200, put.body
        doc = put.json()
        session = live.site.evses["E1"].view().session
        assert session is not None
        assert doc["session_id"] == session.id
        assert (doc["source"], doc["energy_wh"]) == ("api", 5000)
        assert datetime.fromisoformat(str(doc["departure"])) == datetime.fromisoformat(
            soon
        )
        # 5 kWh fit in the cheap hours, 6 h from the sim's start: it waits
        await until(lambda: board.offered_a() == 0)
        got = (await send(live, b"GET", url)).json()
        assert got["plan"] == "wait", got
        assert datetime.fromisoformat(str(got["plan_until"])) >= SIM_START + timedelta(
            hours=6
        )

        gone = await send(live, b"DELETE", url)
        assert gone.status == 204, gone.body
        assert (await send(live, b"GET", url)).status == 404
        await until(lambda: board.offered_a() >= 6)  # no departure: as fast again
