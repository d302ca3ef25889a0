"""The local API over real HTTP, on a simulated site: auth, site, errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from edge.store.export import CSV_FIELDS
from edge.store.sessions import list_sessions
from edge.store.tokens import blocked_uids, find
from tests.integration import raw_http
from tests.integration.board_rig import until
from tests.integration.web_rig import live_site


async def test_site_is_served_with_the_token_and_refused_without(tmp_path: Path):
    async with live_site(tmp_path) as live:
        ok = await live.get("/api/v1/site")
        assert ok.status == 200, ok.body
        doc = ok.json()
        assert doc["name"] == "test"
        assert doc["evse_uids"] == ["E1", "E2"]
        assert doc["ready"] is True
        assert doc["pending"] == []

        missing = await live.get("/api/v1/site", token=None)
        assert missing.status == 401
        assert missing.headers["www-authenticate"].startswith("Bearer")
        body = missing.json()
        assert body["error"] == "unauthorized"
        assert body["field"] == "header.Authorization"
        assert "Bearer" in str(body["message"])

        wrong = await live.get("/api/v1/site", token="api-token-0123456789abcdeX")
        assert wrong.status == 401
        assert wrong.json()["message"] == "the API token is wrong"
        assert "0123456789" not in wrong.body.decode()

        basic = await live.get(
            "/api/v1/site", token=None, headers=[(b"Authorization", b"Basic eDp5")]
        )
        assert basic.status == 401


async def test_a_site_without_a_token_file_refuses_everyone(tmp_path: Path):
    async with live_site(tmp_path, token=None) as live:
        reply = await live.get("/api/v1/site", token="anything-at-all-here")
        assert reply.status == 401
        assert "token_file" in str(reply.json()["message"])


async def test_unknown_paths_and_methods_answer_json(tmp_path: Path):
    async with live_site(tmp_path) as live:
        missing = await live.get("/api/v1/nothing")
        assert missing.status == 404
        assert missing.json()["error"] == "not_found"
        post = await live.post("/api/v1/site", {})
        assert post.status == 405
        assert post.headers["allow"] == "GET"
        assert post.json()["error"] == "method_not_allowed"
        put = await raw_http.request(
            live.port, b"PUT", b"/api/v1/tokens", [(b"Authorization", b"Bearer x")]
        )
        assert put.status == 405
        assert put.headers["allow"] == "GET, POST"  # two routes, one path
        doc = await live.get("/api/v1/openapi.json", token=None)
        assert doc.status == 200
        assert "/api/v1/site" in doc.json()["paths"]  # type: ignore[operator]


async def test_evses_show_what_each_evse_shows_now(tmp_path: Path):
    async with live_site(tmp_path) as live:
        for evse in live.site.evses.values():
            await until(lambda e=evse: e.view().phase.value == "AVAILABLE")
        listed = await live.get("/api/v1/evses")
        assert listed.status == 200
        docs = json.loads(listed.body)
        assert [d["uid"] for d in docs] == ["E1", "E2"]
        e1 = docs[0]
        assert (e1["kind"], e1["status"], e1["phase"]) == (
            "board",
            "AVAILABLE",
            "AVAILABLE",
        )
        assert (e1["max_current_a"], e1["limit_a"], e1["phases"]) == (16, 16, 3)
        assert e1["session"] is None
        assert e1["connectors"] == [
            {"id": "1", "standard": "IEC_62196_T2", "format": "SOCKET"}
        ]
        one = await live.get("/api/v1/evses/E2")
        assert one.status == 200
        assert one.json()["uid"] == "E2"
        missing = await live.get("/api/v1/evses/E9")
        assert missing.status == 404
        assert missing.json()["field"] == "path.uid"
        assert "E1, E2" in str(missing.json()["message"])


async def test_commands_start_limit_and_stop_a_board_evse(tmp_path: Path):
    async with live_site(tmp_path) as live:
        board = live.world.site.channels["E1"].board
        live.plug_in("E1")
        await until(lambda: live.site.evses["E1"].view().phase.value == "PREPARING")
        assert board.offered_a() == 0  # no card, no command: no charge

        start = await live.post("/api/v1/evses/E1/start")
        assert start.status == 200, start.body
        assert start.json() == {"outcome": "ACCEPTED", "message": ""}
        await until(lambda: board.offered_a() == 16)
        evse = (await live.get("/api/v1/evses/E1")).json()
        session = evse["session"]
        assert isinstance(session, dict)
        assert session["token_uid"] == "****"  # "API", redacted as uids are

        limit = await live.post(
            "/api/v1/evses/E1/current-limit", {"current_limit_a": 10}
        )
        assert limit.json()["outcome"] == "ACCEPTED"
        assert board.offered_a() == 10  # the board is told before the answer
        assert (await live.get("/api/v1/evses/E1")).json()["limit_a"] == 10
        too_low = await live.post(
            "/api/v1/evses/E1/current-limit", {"current_limit_a": 3}
        )
        assert too_low.json()["outcome"] == "REJECTED"
        assert board.offered_a() == 10
        evse = (await live.get("/api/v1/evses/E1")).json()
        assert evse["waiting_reason"] is None

        # 0 A pauses it: waiting for power, the session and status kept
        pause = await live.post(
            "/api/v1/evses/E1/current-limit", {"current_limit_a": 0}
        )
        assert pause.json()["outcome"] == "ACCEPTED"
        assert board.offered_a() == 0
        evse = (await live.get("/api/v1/evses/E1")).json()
        assert (evse["status"], evse["phase"]) == ("CHARGING", "SUSPENDED_EVSE")
        assert (evse["waiting_reason"], evse["offered_a"]) == ("limit", None)
        assert evse["session"]["id"] == session["id"]  # type: ignore[index]
        resume = await live.post(
            "/api/v1/evses/E1/current-limit", {"current_limit_a": 10}
        )
        assert resume.json()["outcome"] == "ACCEPTED"
        evse = (await live.get("/api/v1/evses/E1")).json()
        assert evse["phase"] in ("CHARGING", "SUSPENDED_EV")
        assert evse["waiting_reason"] is None

        stop = await live.post("/api/v1/evses/E1/stop")
        assert stop.json()["outcome"] == "ACCEPTED"
        assert live.site.evses["E1"].view().session is None
        again = await live.post("/api/v1/evses/E1/stop")
        assert again.json() == {"outcome": "FAILED", "message": "no active session"}

        page = (await live.get("/api/v1/sessions?evse=E1")).json()
        assert page["total"] == 1
        stored = page["sessions"][0]  # type: ignore[index]
        assert (stored["id"], stored["status"]) == (session["id"], "COMPLETED")
        found = await live.db.run(lambda d: list_sessions(d))
        assert found[0].token_uid == "API"
        assert found[0].auth_method == "COMMAND"


async def test_bad_command_input_is_a_422_naming_the_field(tmp_path: Path):
    async with live_site(tmp_path) as live:
        for body, field in [
            ({"current_limit_a": "ten"}, "body.current_limit_a"),
            ({"current_limit_a": -1}, "body.current_limit_a"),
            ({}, "body.current_limit_a"),
            ({"current_limit_a": 10, "extra": 1}, "body.extra"),
            ({"current_limit_a": False}, "body.current_limit_a"),
        ]:
            reply = await live.post("/api/v1/evses/E1/current-limit", body)
            assert reply.status == 422, (body, reply.body)
            assert reply.json()["field"] == field, reply.body
        unknown = await live.post("/api/v1/evses/E7/start")
        assert unknown.status == 404
        assert live.world.site.channels["E1"].board.offered_a() == 0


async def test_sessions_filter_page_and_redact(tmp_path: Path):
    async with live_site(tmp_path, seed=12) as live:
        page = await live.get("/api/v1/sessions")
        assert page.status == 200
        doc = page.json()
        assert (doc["total"], doc["offset"], doc["limit"]) == (12, 0, 100)
        assert page.headers["x-total-count"] == "12"
        rows = doc["sessions"]
        assert isinstance(rows, list)
        assert [r["id"] for r in rows] == [f"seed-{n:03d}" for n in range(12)]
        assert {r["token_uid"] for r in rows} == {"****1C00", "****6CED"}
        assert rows[3]["energy_wh"] == 1003
        assert "04A23B1C00" not in page.body.decode()

        e2 = (await live.get("/api/v1/sessions?evse=E2")).json()
        assert [r["id"] for r in e2["sessions"]] == [  # type: ignore[union-attr]
            f"seed-{n:03d}" for n in range(1, 12, 2)
        ]
        card = (await live.get("/api/v1/sessions?token=04a23b1c00")).json()
        assert card["total"] == 6  # any letter case
        window = await live.get(
            "/api/v1/sessions?from=2026-03-01T02:00:00Z&to=2026-03-01T05:00:00%2B00:00"
        )
        assert [r["id"] for r in window.json()["sessions"]] == [  # type: ignore[union-attr]
            "seed-002",
            "seed-003",
            "seed-004",
        ]
        naive = (await live.get("/api/v1/sessions?from=2026-03-01T10:00:00")).json()
        assert naive["total"] == 2  # a time without an offset is UTC
        backwards = "from=2026-03-01T05:00:00Z&to=2026-03-01T02:00:00Z"
        empty = (await live.get(f"/api/v1/sessions?{backwards}")).json()
        assert (empty["total"], empty["sessions"]) == (0, [])
        second = (await live.get("/api/v1/sessions?limit=5&offset=5")).json()
        assert [r["id"] for r in second["sessions"]] == [  # type: ignore[union-attr]
            f"seed-{n:03d}" for n in range(5, 10)
        ]
        assert second["total"] == 12


async def test_sessions_as_csv_by_query_or_accept(tmp_path: Path):
    async with live_site(tmp_path, seed=4) as live:
        by_query = await live.get("/api/v1/sessions?format=csv&evse=E1")
        assert by_query.status == 200
        assert by_query.headers["content-type"].startswith("text/csv")
        assert by_query.headers["x-total-count"] == "2"
        rows = list(csv.DictReader(io.StringIO(by_query.body.decode())))
        assert [r["id"] for r in rows] == ["seed-000", "seed-002"]
        assert rows[1]["token_uid"] == "****1C00"
        assert rows[1]["energy_wh"] == "1002"
        assert by_query.body.decode().splitlines()[0] == ",".join(CSV_FIELDS)
        by_accept = await live.get(
            "/api/v1/sessions?evse=E1", headers=[(b"Accept", b"text/csv")]
        )
        assert by_accept.body == by_query.body
        empty = await live.get("/api/v1/sessions?format=csv&evse=nobody")
        assert empty.body.decode() == ",".join(CSV_FIELDS) + "\n"


async def test_bad_session_filters_name_the_parameter(tmp_path: Path):
    async with live_site(tmp_path) as live:
        for query, field in [
            ("from=yesterday", "query.from"),
            ("to=0.5", "query.to"),
            ("from=1767225600", "query.from"),
            ("limit=0", "query.limit"),
            ("limit=10001", "query.limit"),
            ("offset=-1", "query.offset"),
            ("status=RUNNING", "query.status"),
            ("format=xml", "query.format"),
            ("from=0001-01-01T00:00:00%2B01:00", "query.from"),
        ]:
            reply = await live.get(f"/api/v1/sessions?{query}")
            assert reply.status == 422, (query, reply.body)
            body = reply.json()
            assert body["field"] == field, (query, body)
            assert str(body["message"]).startswith(field)


async def test_tokens_are_listed_redacted_and_can_be_blocked(tmp_path: Path):
    async with live_site(tmp_path) as live:
        doc = (await live.get("/api/v1/tokens")).json()
        assert doc["total"] == 2
        tokens = doc["tokens"]
        assert isinstance(tokens, list)
        assert {t["uid"] for t in tokens} == {"****1C00", "****6CED"}
        assert all(t["source"] == "site" and not t["blocked"] for t in tokens)

        blocked = await live.post("/api/v1/tokens/04a23b1c00/block")
        assert blocked.json() == {"blocked": True, "changed": True}
        again = await live.post("/api/v1/tokens/04A23B1C00/block")
        assert again.json() == {"blocked": True, "changed": False}
        doc = (await live.get("/api/v1/tokens")).json()
        states = {t["uid"]: t["blocked"] for t in doc["tokens"]}  # type: ignore[union-attr]
        assert states == {"****1C00": True, "****6CED": False}
        assert await live.db.run(blocked_uids) == {"04A23B1C00"}
        lifted = await live.post("/api/v1/tokens/04a23b1c00/unblock")
        assert lifted.json() == {"blocked": False, "changed": True}
        assert await live.db.run(blocked_uids) == set()


async def test_sync_status_shows_backlog_and_dead_letters(tmp_path: Path):
    async with live_site(tmp_path, seed=3) as live:
        doc = (await live.get("/api/v1/sync")).json()
        assert (doc["enabled"], doc["registered"], doc["peer"]) == (False, False, None)
        backlog = {m["module"]: m for m in doc["backlog"]}  # type: ignore[union-attr]
        assert backlog["sessions"]["queued"] == 2
        assert backlog["sessions"]["dead"] == 1
        assert backlog["cdrs"]["queued"] == 3
        assert doc["dead_letters"] == [
            {"key": "sessions:seed-000", "attempts": 1,
             "reason": "PUT: 2001 unknown location"}
        ]  # fmt: skip
        assert doc["last_success"] is None


async def test_a_token_added_by_hand_is_known_and_refused_when_invalid(tmp_path: Path):
    async with live_site(tmp_path) as live:
        added = await live.post(
            "/api/v1/tokens",
            {"uid": "A1B2C3D4E5F6", "group_id": "night", "whitelist": "ALLOWED"},
        )
        assert added.status == 201, added.body
        doc = added.json()
        assert (doc["uid"], doc["contract_id"]) == ("****E5F6", "****E5F6")
        assert (doc["source"], doc["whitelist"], doc["blocked"]) == (
            "cli", "ALLOWED", False
        )  # fmt: skip
        assert (doc["country_code"], doc["party_id"]) == ("NL", "EXA")  # the site's
        found = await live.db.run(lambda d: find(d, "A1B2C3D4E5F6"))
        assert [(t.group_id, t.source.value) for t in found] == [("night", "cli")]
        listed = (await live.get("/api/v1/tokens")).json()
        assert listed["total"] == 3

        again = await live.post(
            "/api/v1/tokens", {"uid": "A1B2C3D4E5F6", "valid": False}
        )
        assert again.status == 201
        found = await live.db.run(lambda d: find(d, "A1B2C3D4E5F6"))
        assert [(t.valid, t.group_id) for t in found] == [(False, None)]  # replaced

        for body, field in [
            ({"uid": "with space"}, "body.uid"),
            ({"uid": "x" * 37}, "body.uid"),
            ({"uid": "AB", "type": "CARD"}, "body.type"),
            ({"uid": "AB", "valid": "yes"}, "body.valid"),
            ({"uid": "AB", "language": "NLD"}, "body.language"),
            ({"uid": "AB", "owner": "me"}, "body.owner"),
            ({}, "body.uid"),
        ]:
            reply = await live.post("/api/v1/tokens", body)
            assert reply.status == 422, (body, reply.body)
            assert reply.json()["field"] == field, reply.body
