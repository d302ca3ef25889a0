"""A session's departure through the local API, planned by price, on a simulated site.

Real HTTP to the site's web server; a real Site over hal_sim and a real SQLite
file; the price plan holds the car back until the cheap hours before the
departure it was given, also after the controller restarts.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from edge.store.sessions import get_session
from tests.integration import raw_http
from tests.integration.board_rig import until
from tests.integration.raw_http import Reply
from tests.integration.web_rig import Live, auth, live_site, restartable_site

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


def load(tmp_path: Path, evses: int = 1) -> str:
    return (
        "[load]\nmargin_a = 1.0\n"
        f'[load.prices]\nfile = "{prices(tmp_path)}"\n'
        '[[load.circuit]]\nid = "main"\nlimit_a = 40\n'
    ) + "".join(
        f'[[load.evse]]\nuid = "E{n}"\ncircuit = "main"\n' for n in range(1, evses + 1)
    )


def stored(db: Path) -> list[tuple[object, ...]]:
    """Every departure row in the store file (session, source)."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT session_id, source FROM session_departures ORDER BY session_id"
        ).fetchall()
    finally:
        conn.close()


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


async def test_a_departure_holds_across_a_restart_while_its_session_is_open(
    tmp_path: Path,
) -> None:
    """E1's car stays plugged in across the restart, E2's leaves meanwhile."""
    async with restartable_site(tmp_path, extra=load(tmp_path, evses=2)) as rig:
        async with rig.controller() as live:
            soon = live.clock.utcnow() + timedelta(hours=12)
            sids = {}
            for uid in ("E1", "E2"):
                live.plug_in(uid)
                started = await live.post(f"/api/v1/evses/{uid}/start")
                assert started.json()["outcome"] == "ACCEPTED", started.body
                body = {"departure": soon.isoformat(), "energy_wh": 5000}
                put = await send(live, b"PUT", f"/api/v1/evses/{uid}/departure", body)
                assert put.status == 200, put.body
                sids[uid] = put.json()["session_id"]
            # on disk when accepted
            assert stored(rig.db_path) == sorted((sid, "api") for sid in sids.values())
        live.unplug("E2")  # while no controller runs

        async with rig.controller() as live:
            # E2's session is closed at the restart, its departure with it
            await until(lambda: stored(rig.db_path) == [(sids["E1"], "api")])
            e2 = await live.db.run(lambda h: get_session(h, sids["E2"]))
            assert e2 is not None
            assert e2.stop_reason == "EV_DISCONNECTED_WHILE_DOWN"
            gone = await send(live, b"GET", "/api/v1/evses/E2/departure")
            assert gone.status == 409, gone.body
            # E1's session runs on with the departure it was given
            url = "/api/v1/evses/E1/departure"
            got = (await send(live, b"GET", url)).json()
            assert (got["session_id"], got["source"]) == (sids["E1"], "api"), got
            assert (got["energy_wh"], datetime.fromisoformat(got["departure"])) == (
                5000,
                soon.replace(microsecond=soon.microsecond // 1000 * 1000),
            )
            board = live.world.site.channels["E1"].board
            await until(lambda: board.offered_a() == 0)  # planned: it waits
            assert (await send(live, b"GET", url)).json()["plan"] == "wait"
            live.unplug("E1")  # the session ends: no departure row is left
            await until(lambda: stored(rig.db_path) == [])
            e1 = await live.db.run(lambda h: get_session(h, sids["E1"]))
            assert e1 is not None
            assert e1.status == "COMPLETED"
