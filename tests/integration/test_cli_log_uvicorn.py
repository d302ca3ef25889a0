"""uvicorn's own access line (its handlers, its formatter) shows a card uid redacted.

uvicorn installs handlers of its own (``log_config``), so redaction in one of ours
would miss its lines. A real server with the access log on, a real request on a
loopback socket; what uvicorn wrote to the process's stdout/stderr is searched.
(uvicorn is imported here, beside :mod:`edge.uplink.ocpi.serve.bounded_uvicorn`, to
switch on the access log that the controller keeps off.)
"""

from __future__ import annotations

import asyncio

import pytest
import uvicorn  # noqa: TID251
from starlette.applications import Starlette  # noqa: TID251
from starlette.requests import Request  # noqa: TID251
from starlette.responses import JSONResponse  # noqa: TID251
from starlette.routing import Route  # noqa: TID251

from edge.log import install_redaction
from edge.uplink.ocpi.serve import bind

UID = "0412AB00C3"


async def token(request: Request) -> JSONResponse:
    return JSONResponse({"status_code": 1000})


async def test_uvicorn_access_line_is_redacted(
    capfd: pytest.CaptureFixture[str],
) -> None:
    install_redaction()
    app = Starlette(
        routes=[
            Route("/ocpi/cpo/2.2.1/tokens/{cc}/{pid}/{uid}", token, methods=["PUT"])
        ]
    )
    server = uvicorn.Server(
        uvicorn.Config(app, access_log=True, log_level="info", lifespan="off")
    )
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            f"PUT /ocpi/cpo/2.2.1/tokens/NL/EXA/{UID}?type=RFID HTTP/1.1\r\n"
            "Host: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
        await writer.drain()
        answer = await reader.read()
        writer.close()
        assert answer.startswith(b"HTTP/1.1 200")
    finally:
        server.should_exit = True
        await task
        sock.close()
    out, err = capfd.readouterr()
    logged = out + err
    assert (
        'PUT /ocpi/cpo/2.2.1/tokens/NL/EXA/****00C3?type=RFID HTTP/1.1" 200' in logged
    )
    assert UID not in logged
