"""The local API over real HTTP, on a simulated site: auth, site, errors."""

from __future__ import annotations

from pathlib import Path

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
        doc = await live.get("/api/v1/openapi.json", token=None)
        assert doc.status == 200
        assert "/api/v1/site" in doc.json()["paths"]  # type: ignore[operator]
