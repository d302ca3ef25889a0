"""Serve an ASGI app on a socket we bind ourselves: the only uvicorn importer.

Used by the controller's OCPI endpoints and by the simulated backoffice. The
socket is bound before the server starts, so the caller knows the port (0 picks a
free one) before anyone connects. uvicorn's own signal handling is switched off:
the process that embeds the server (``edge run``, ``edge sim``, tests) owns
SIGINT and SIGTERM.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from collections.abc import AsyncIterator, Generator
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp

log = logging.getLogger(__name__)


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


@dataclass(frozen=True)
class Bound:
    """Where a served app listens."""

    host: str
    port: int
    scheme: str = "http"

    @property
    def base_url(self) -> str:
        """``http(s)://host:port`` (IPv6 hosts bracketed)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket (port 0: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say
    # so, and without it every answer waits ~40 ms (Nagle meets delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


@contextlib.asynccontextmanager
async def serving(
    app: ASGIApp, host: str, port: int, *, ssl_context: ssl.SSLContext | None = None
) -> AsyncIterator[Bound]:
    """Serve ``app`` on ``host:port`` for the duration of the block.

    With ``ssl_context``, HTTPS with that very context: a certificate loaded into
    it later is used for new connections.
    """
    sock = bind(host, port)
    scheme = "http" if ssl_context is None else "https"
    bound = Bound(host, int(sock.getsockname()[1]), scheme)
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
        timeout_keep_alive=30,
        ssl_context_factory=None if ssl_context is None else lambda *_: ssl_context,
    )
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name=f"asgi {port}")
    try:
        while not server.started:
            if task.done():
                task.result()  # raises what stopped it
                raise OSError(f"server on {bound.base_url} stopped at start-up")
            await asyncio.sleep(0.005)
        yield bound
    finally:
        server.should_exit = True
        server.force_exit = True  # do not wait for idle keep-alive connections
        try:
            await asyncio.wait({task}, timeout=5)
        finally:
            if not task.done():
                task.cancel()
            elif not task.cancelled() and task.exception() is not None:
                log.warning("server on %s: %r", bound.base_url, task.exception())
            sock.close()
