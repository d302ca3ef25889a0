"""Command results and token C go only where the registration said (issue 11).

A hostile eMSP (or anyone holding token B) sends commands whose ``response_url``
points elsewhere: another port of this machine, another scheme, ``file:``,
``ftp:``, ``gopher:``. Each is REJECTED at once, naming why, the site is not
asked to act, and a listener on that other place receives not one connection.
"Place" is the origin: scheme, host and port (another port of the backoffice's
own host is another place).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from starlette.applications import Starlette  # noqa: TID251
from starlette.requests import Request  # noqa: TID251
from starlette.responses import JSONResponse, Response  # noqa: TID251
from starlette.routing import Route  # noqa: TID251

from edge.ocpi import CommandResultType, CommandType
from edge.uplink.ocpi.client import DestinationRefused
from edge.uplink.ocpi.serve import serving
from hal_sim.backoffice.cpo import CpoPeer
from tests.integration.ocpi_rig import Rig, rig, until
from tests.integration.test_ocpi_cpo_commands import TOKEN, FakeSite, results


@dataclass
class Trap:
    """A TCP listener that must never be called: counts connections and bytes."""

    port: int = 0
    connections: int = 0
    received: list[bytes] = field(default_factory=list)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self.connections += 1
        with contextlib.suppress(ConnectionError):
            self.received.append(await reader.read(65536))
        writer.close()


@contextlib.asynccontextmanager
async def trap() -> AsyncIterator[Trap]:
    t = Trap()
    server = await asyncio.start_server(t._client, "127.0.0.1", 0)
    t.port = server.sockets[0].getsockname()[1]
    try:
        yield t
    finally:
        server.close()
        await server.wait_closed()


async def send(r: Rig, kind: CommandType, body: dict[str, object]) -> dict:
    """POST a command with the given response_url, as a (hostile) eMSP may."""
    peer = CpoPeer(r.bo.backoffice)
    url = f"{(await peer.url('commands', 'RECEIVER')).rstrip('/')}/{kind.value}"
    reply = await peer._call("POST", url, body)
    assert isinstance(reply.data, dict)
    return reply.data


def start(response_url: str) -> dict[str, object]:
    return {"response_url": response_url, "token": TOKEN, "location_id": "LOC1",
            "evse_uid": "E1"}  # fmt: skip


async def test_response_url_elsewhere_is_rejected_and_nothing_is_called(
    tmp_path: Path,
) -> None:
    site = FakeSite()
    async with trap() as t, rig(tmp_path, speed=30.0, start=False) as r:
        await r.start(commands=site)
        registered = r.bo.backoffice.result_url(CommandType.START_SESSION, "x")
        assert registered.startswith("http://127.0.0.1:")
        hostile = [
            (f"{t.origin}/ocpi/emsp/2.2.1/commands/START_SESSION/1", "not an origin"),
            # the backoffice's own host and path, over another scheme
            (registered.replace("http://", "https://", 1), "not an origin"),
            ("file:///etc/passwd", "file: URLs are not allowed"),
            (f"ftp://127.0.0.1:{t.port}/x", "ftp: URLs are not allowed"),
            (f"gopher://127.0.0.1:{t.port}/_x", "gopher: URLs are not allowed"),
            (f"http://user:pw@127.0.0.1:{t.port}/x", "user name or password"),
            ("/ocpi/relative", "no scheme"),
        ]
        for url, why in hostile:
            data = await send(r, CommandType.START_SESSION, start(url))
            assert data["result"] == "REJECTED", url
            assert data["timeout"] == 0
            text = data["message"][0]["text"]
            assert text.startswith("response_url refused: "), text
            assert why in text, (url, text)
        for kind, body in (
            (CommandType.STOP_SESSION, {"session_id": "S1"}),
            (CommandType.UNLOCK_CONNECTOR,
             {"location_id": "LOC1", "evse_uid": "E1", "connector_id": "1"}),
            (CommandType.CANCEL_RESERVATION, {"reservation_id": "R1"}),
        ):  # fmt: skip
            data = await send(r, kind, {**body, "response_url": t.origin + "/r"})
            assert data["result"] == "REJECTED", kind
        assert site.calls == []
        # A command to the registered origin still works; once its result has
        # arrived, the trap has still seen nothing.
        sent = await CpoPeer(r.bo.backoffice).command(
            CommandType.START_SESSION,
            {"token": TOKEN, "location_id": "LOC1", "evse_uid": "E2"},
        )
        assert sent.response.result.value == "ACCEPTED"
        await until(lambda: results(r, sent.command_id) == [CommandResultType.ACCEPTED])
        assert (t.connections, t.received) == (0, [])


@dataclass
class Collector:
    """An allow-listed eMSP endpoint: answers OCPI 1000 or redirects."""

    redirect_to: str | None = None
    posts: list[tuple[str, str | None]] = field(default_factory=list)
    got: asyncio.Event = field(default_factory=asyncio.Event)

    async def take(self, request: Request) -> Response:
        self.posts.append((request.url.path, request.headers.get("authorization")))
        self.got.set()
        if self.redirect_to is not None:
            return Response(status_code=307, headers={"location": self.redirect_to})
        return JSONResponse({"status_code": 1000,
                             "timestamp": "2026-03-02T08:00:00Z"})  # fmt: skip

    @property
    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{p:path}", self.take, methods=["POST"])])


async def test_allow_list_and_redirects_not_followed(tmp_path: Path) -> None:
    site = FakeSite()
    async with trap() as t:
        bounce = Collector(redirect_to=f"{t.origin}/stolen")
        plain = Collector()
        async with (
            serving(bounce.app, "127.0.0.1", 0) as b1,
            serving(plain.app, "127.0.0.1", 0) as b2,
        ):
            section = {"allowed_origins": [b1.base_url, b2.base_url + "/any/path"]}
            async with rig(tmp_path, speed=30.0, start=False, section=section) as r:
                await r.start(commands=site)
                data = await send(r, CommandType.START_SESSION,
                                  start(f"{b2.base_url}/results/1"))  # fmt: skip
                assert data["result"] == "ACCEPTED"
                await asyncio.wait_for(plain.got.wait(), 10)
                path, auth = plain.posts[0]
                assert path == "/results/1"
                assert auth is not None
                assert auth.startswith("Token ")
                # allowed, but it answers 307 to the trap: not followed, not retried
                data = await send(r, CommandType.START_SESSION,
                                  start(f"{b1.base_url}/results/2"))  # fmt: skip
                assert data["result"] == "ACCEPTED"
                await asyncio.wait_for(bounce.got.wait(), 10)
                # a third command's result arriving shows the second is settled
                sent = await CpoPeer(r.bo.backoffice).command(
                    CommandType.START_SESSION,
                    {"token": TOKEN, "location_id": "LOC1", "evse_uid": "E2"},
                )
                await until(lambda: bool(results(r, sent.command_id)))
                await asyncio.sleep(0.2)  # room for a retry that must not come
                assert len(bounce.posts) == 1
                assert (t.connections, t.received) == (0, [])


async def test_token_c_goes_to_no_other_origin(tmp_path: Path) -> None:
    async with trap() as t, rig(tmp_path) as r:
        up = r.uplink
        assert up is not None
        assert up.creds is not None
        token_c = up.creds.token_c
        assert token_c
        for url in (f"{t.origin}/ocpi", f"https://127.0.0.1:{t.port}/ocpi"):
            with pytest.raises(DestinationRefused, match="not an origin"):
                await up.client.call("GET", url, token=token_c)
        with pytest.raises(DestinationRefused, match="gopher: URLs"):
            await up.client.call("GET", f"gopher://127.0.0.1:{t.port}/", token="x")
        assert (t.connections, t.received) == (0, [])
        # the registered endpoints still get it
        tokens_url = up.creds.endpoint("tokens", "SENDER")
        assert tokens_url is not None
        peer = up.peer()
        assert peer is not None
        reply = await up.client.call("GET", tokens_url, token=token_c, route=peer.route)
        assert reply.status_code == 1000


async def test_insecure_is_a_loud_warning_and_still_no_other_origin(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("WARNING", logger="edge.uplink.ocpi.service"):
        async with trap() as t, rig(tmp_path, section={"insecure": True}) as r:
            warned = [x for x in caplog.records if "insecure = true" in x.message]
            assert [x.levelname for x in warned] == ["WARNING"]
            up = r.uplink
            assert up is not None
            assert up.creds is not None
            token_c = up.creds.token_c
            assert token_c
            with pytest.raises(DestinationRefused, match="not an origin"):
                await up.client.call("GET", f"{t.origin}/x", token=token_c)
            assert t.connections == 0
