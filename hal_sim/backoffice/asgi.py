"""The backoffice's routes over HTTP: hal_sim's only starlette and uvicorn importer.

Each route's endpoint is a plain function of a
:class:`~hal_sim.backoffice.exchange.Call` that returns a
:class:`~hal_sim.backoffice.exchange.Raw`; here they become a
Starlette app on uvicorn. The socket is bound before the server starts, so the
port (0: any free one) is known before anyone connects. uvicorn's signal
handling is off: the process that embeds the backoffice owns SIGINT and SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from hal_sim.backoffice.exchange import Call, Endpoint, HttpRoute

log = logging.getLogger(__name__)
KEEPALIVE_S = 30
"""Wall seconds an idle kept-alive connection stays open (the CPO's client reuses
connections; closing them sooner races its next request)."""
BACKLOG = 16


@dataclass(frozen=True)
class Bound:
    """Where the app listens."""

    host: str
    port: int
    scheme: str

    @property
    def base_url(self) -> str:
        """``http(s)://host:port``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def _starlette(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
    async def handle(request: Request) -> Response:
        call = Call(
            method=request.method,
            url=str(request.url),
            path=request.url.path,
            query_string=request.url.query,
            query=dict(request.query_params),
            headers=dict(request.headers),
            path_params={k: str(v) for k, v in request.path_params.items()},
            body=await request.body(),
        )
        raw = await endpoint(call)
        return Response(
            raw.body,
            status_code=raw.status,
            media_type=raw.media_type,
            headers=dict(raw.headers),
        )

    return handle


def app(routes: Sequence[HttpRoute]) -> Starlette:
    """The ASGI app of ``routes``."""
    return Starlette(
        routes=[
            Route(p.pattern, _starlette(p.endpoint), methods=list(p.methods))
            for p in routes
        ]
    )


class _Embedded(uvicorn.Server):
    """uvicorn without its signal handlers, telling when it listens."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        self.ready.set()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named: asyncio sets TCP_NODELAY only on such sockets; without
    # it every answer waits ~40 ms (Nagle meets delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


@contextlib.asynccontextmanager
async def serving(
    routes: Sequence[HttpRoute],
    host: str,
    port: int,
    ssl_context: ssl.SSLContext | None = None,
) -> AsyncIterator[Bound]:
    """Serve ``routes`` on ``host:port`` (HTTPS with ``ssl_context``) in the block."""
    sock = _bind(host, port)
    bound = Bound(host, int(sock.getsockname()[1]), "http" if ssl_context is None
                  else "https")  # fmt: skip
    config = uvicorn.Config(
        app(routes),
        http="h11",
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
        timeout_keep_alive=KEEPALIVE_S,
        backlog=BACKLOG,
        ssl_context_factory=None if ssl_context is None else lambda *_: ssl_context,
    )
    server = _Embedded(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name=f"backoffice {port}")
    try:
        ready = asyncio.create_task(server.ready.wait())
        await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
        if not ready.done():
            ready.cancel()
            task.result()  # raises what stopped it
            raise OSError(f"backoffice on {bound.base_url} stopped at start-up")
        yield bound
    finally:
        server.should_exit = True
        server.force_exit = True  # do not wait for idle kept-alive connections
        try:
            await asyncio.wait({task}, timeout=5)
        finally:
            if not task.done():
                task.cancel()
            elif not task.cancelled() and task.exception() is not None:
                log.warning("backoffice on %s: %r", bound.base_url, task.exception())
            sock.close()
