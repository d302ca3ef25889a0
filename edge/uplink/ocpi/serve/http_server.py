"""Serve an ASGI app on a socket we bind ourselves.

Used by the controller's OCPI endpoints (and tests). The
socket is bound before the server starts, so the caller knows the port (0 picks a
free one) before anyone connects. The server is uvicorn, bounded
(:mod:`.bounded_uvicorn`: read deadlines, a connection cap, lingering closes);
the process that embeds it (``edge run``, ``edge sim``, tests) owns SIGINT and
SIGTERM.

Refusals made by the server itself (400, 503) carry a JSON body from ``refusal``
(an OCPI envelope by default). accept() failing for want of file descriptors
(EMFILE) and any other error the event loop reports are logged at most once a
minute with a count, as are uvicorn's own warnings (:mod:`edge.logthrottle`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
from collections.abc import AsyncIterator, Generator
from dataclasses import dataclass

from starlette.types import ASGIApp

from edge.logthrottle import ThrottleFilter, quiet_loop_errors
from edge.model.clock import SystemClock
from edge.uplink.ocpi.serve.bounded_uvicorn import (
    BoundedConfig,
    EmbeddedServer,
    Limits,
    Refusal,
    quiet,
)
from edge.uplink.ocpi.serve.token_and_envelope import envelope

log = logging.getLogger(__name__)
_uvicorn_filter = ThrottleFilter()


def ocpi_refusal(status: int, message: str) -> bytes:
    """An OCPI envelope: 2000 for a client's fault, 3000 for ours (busy)."""
    code = 3000 if status >= 500 else 2000
    now = SystemClock().utcnow()
    return bytes(envelope(now, status_code=code, message=message).body)


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


def bind(host: str, port: int, backlog: int = Limits.backlog) -> socket.socket:
    """A listening TCP socket (port 0: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY only on sockets that say
    # so, and without it every answer waits ~40 ms (Nagle meets delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


@contextlib.contextmanager
def _quiet_loop() -> Generator[None, None, None]:
    """The running loop's errors and uvicorn's warnings, throttled meanwhile."""
    restore = quiet_loop_errors(asyncio.get_running_loop(), quiet)
    logging.getLogger("uvicorn.error").addFilter(_uvicorn_filter)
    try:
        yield
    finally:
        restore()
        quiet.gate.reset()  # the counts so far are written
        _uvicorn_filter.gate.reset()


@contextlib.asynccontextmanager
async def serving(
    app: ASGIApp,
    host: str,
    port: int,
    *,
    ssl_context: ssl.SSLContext | None = None,
    limits: Limits | None = None,
    refusal: Refusal = ocpi_refusal,
) -> AsyncIterator[Bound]:
    """Serve ``app`` on ``host:port`` for the duration of the block.

    With ``ssl_context``, HTTPS with that very context: a certificate loaded into
    it later is used for new connections.
    """
    limits = limits or Limits()
    sock = bind(host, port, limits.backlog)
    scheme = "http" if ssl_context is None else "https"
    bound = Bound(host, int(sock.getsockname()[1]), scheme)
    server = EmbeddedServer(BoundedConfig(app, limits, refusal, ssl_context))
    with _quiet_loop():
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
