"""uvicorn's server and its h11 protocol, bounded: the only uvicorn importer.

What a client may hold of the server is bounded (:class:`Limits`, wall seconds:
these are socket timeouts). uvicorn has no timeout for reading a request, so each
connection runs a protocol of our own (:class:`BoundedH11`, uvicorn's h11
protocol plus one timer) that watches h11's view of the request:

* the request line and headers must arrive within ``header_timeout_s`` of the
  connection opening, or of the first byte of a request on a kept-alive one (a
  client that sends a byte a second is dropped, as is one that sends nothing);
  at most 16 KiB of them (h11), else HTTP 400;
* the body must be complete ``body_timeout_s`` after the headers; a body the
  app answered early (401, 413) is read and dropped until then. Where the answer
  closes the connection (the client asked ``Connection: close``), we send FIN
  after it and drop what still comes for :data:`LINGER_S` before closing
  (:class:`_Lingering`): a socket closed with unread data resets, and the reset
  would destroy the answer before the client read it;
* an idle kept-alive connection is closed after ``keepalive_s`` (uvicorn);
* at most ``max_connections`` connections: one more closes the connection idle
  the longest (kept alive between requests, or opened without a byte sent);
  when none is idle it is answered 503 at once and closed. At most as many
  requests run at once (uvicorn's ``limit_concurrency`` answers 503 beyond);
* the kernel queues at most ``backlog`` connections not yet accepted.

Refusals made here (400, 503) carry a JSON body from ``refusal``. uvicorn's own
signal handling is switched off (:class:`EmbeddedServer`): the process that
embeds the server owns SIGINT and SIGTERM. :mod:`.http_server` binds the socket
and runs the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import http
import logging
import ssl
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import h11
import uvicorn
from starlette.types import ASGIApp
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.server import ServerState

from edge.logthrottle import Throttle

log = logging.getLogger(__name__)
quiet = Throttle(log)
"""Throttled lines of the connections, and of the loop while serving."""
LINGER_S = 2.0
"""Wall seconds a closed connection still drops what the client sends."""
Refusal = Callable[[int, str], bytes]
"""(HTTP status, message) -> the JSON body of a refusal."""


@dataclass(frozen=True)
class Limits:
    """How much of the server one client may hold (wall seconds)."""

    header_timeout_s: float = 5.0
    body_timeout_s: float = 10.0
    keepalive_s: int = 30
    max_connections: int = 32
    backlog: int = 16


class EmbeddedServer(uvicorn.Server):
    """uvicorn's server without its signal handlers (the embedding process's)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        """Install nothing."""
        yield


class BoundedConfig(uvicorn.Config):
    """uvicorn's settings plus ours, which each connection's protocol reads."""

    def __init__(
        self,
        app: ASGIApp,
        limits: Limits,
        refusal: Refusal,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        super().__init__(
            app,
            http=BoundedH11,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=limits.keepalive_s,
            limit_concurrency=limits.max_connections + 1,
            backlog=limits.backlog,
            ssl_context_factory=None if ssl_context is None else lambda *_: ssl_context,
        )
        self.limits = limits
        self.refusal = refusal


class _Phase(enum.Enum):
    HEAD = "request head"
    BODY = "request body"


class _Lingering(asyncio.Transport):
    """The connection's transport; a close amid the client's body lingers."""

    def __init__(self, raw: asyncio.Transport, protocol: BoundedH11) -> None:
        super().__init__()
        self.raw = raw
        self.protocol = protocol
        self.lingering = False

    def close(self) -> None:
        """Close; while the client still sends a body, FIN and linger first."""
        if self.lingering or self.raw.is_closing():
            return
        amid_body = self.protocol.conn.their_state is h11.SEND_BODY
        if not (amid_body and self.raw.can_write_eof()):
            self.raw.close()
            return
        self.lingering = True
        self.raw.write_eof()
        self.raw.resume_reading()
        self.protocol.linger()

    def is_closing(self) -> bool:
        return self.lingering or self.raw.is_closing()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.raw.write(data)

    def abort(self) -> None:
        self.raw.abort()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.raw.get_extra_info(name, default)

    def pause_reading(self) -> None:
        if not self.lingering:
            self.raw.pause_reading()

    def resume_reading(self) -> None:
        self.raw.resume_reading()

    def is_reading(self) -> bool:
        return self.raw.is_reading()

    def can_write_eof(self) -> bool:
        return self.raw.can_write_eof()

    def write_eof(self) -> None:
        self.raw.write_eof()

    def get_write_buffer_size(self) -> int:
        return self.raw.get_write_buffer_size()

    def set_write_buffer_limits(
        self, high: int | None = None, low: int | None = None
    ) -> None:
        self.raw.set_write_buffer_limits(high, low)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.raw.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self.raw.get_protocol()


class BoundedH11(H11Protocol):
    """uvicorn's h11 protocol with read deadlines and a connection cap."""

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        assert isinstance(config, BoundedConfig)  # noqa: S101 - serving() builds it
        self.limits = config.limits
        self.refusal = config.refusal
        self.phase: _Phase | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.idle_since = self.loop.time()

    # ---- the connection cap ------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Admit the connection (evicting an idle one if full), or answer 503."""
        others = [
            c
            for c in self.connections
            if isinstance(c, BoundedH11) and not c.transport.is_closing()
        ]
        self.lingering = _Lingering(transport, self)
        super().connection_made(self.lingering)
        if len(others) >= self.limits.max_connections and not _evict(others):
            quiet.log(
                logging.WARNING,
                "busy",
                "refused a connection: %d open, the most allowed (max_connections)",
                len(others),
            )
            self.refuse(503, "too many connections; try again in a few seconds")
            return
        self._arm(_Phase.HEAD)

    def idle(self) -> bool:
        """Between requests (or before the first) with no byte of the next."""
        between = self.cycle is None or self.cycle.response_complete
        return (
            between
            and self.conn.their_state is h11.IDLE
            and not self.conn.trailing_data[0]
        )

    def refuse(self, status: int, message: str) -> None:
        """Answer ``status`` with our JSON body, bypassing h11, and close."""
        body = self.refusal(status, message)
        head = (
            f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\n"
            "content-type: application/json\r\n"
            f"content-length: {len(body)}\r\n"
            "connection: close\r\n\r\n"
        )
        self._disarm()
        self.transport.write(head.encode("ascii") + body)
        self.transport.close()

    def send_400_response(self, msg: str) -> None:
        """Malformed HTTP (h11 refused it): our JSON body, not plain text."""
        self.refuse(400, "the request is not valid HTTP/1.1 (or its head is over "
                         "16 KiB)")  # fmt: skip

    # ---- read deadlines ----------------------------------------------------------
    def handle_events(self) -> None:
        """Let uvicorn handle what arrived, then set the deadline that applies."""
        super().handle_events()
        self._watch()

    def on_response_complete(self) -> None:
        """After an answer: idle from now (for eviction), keep-alive timer."""
        self.idle_since = self.loop.time()
        super().on_response_complete()
        self._watch()

    def data_received(self, data: bytes) -> None:
        """Hand the bytes to h11; once lingering, drop them."""
        if not self.lingering.lingering:
            super().data_received(data)

    def linger(self) -> None:
        """The answer is out and FIN sent: close for good in a while."""
        self._disarm()
        self.timer = self.loop.call_later(LINGER_S, self.lingering.raw.close)

    def shutdown(self) -> None:
        """The server stops: a lingering connection closes now, not at its timer.

        Its close was already asked for (``_Lingering.close`` only lingers), and
        a timer left behind would not fire once the loop is gone: the socket
        would stay open until the garbage collector found it.
        """
        if self.lingering.lingering:
            self._disarm()
            self.lingering.raw.close()
            return
        super().shutdown()

    def connection_lost(self, exc: Exception | None) -> None:
        """Stop the deadline with the connection."""
        self._disarm()
        super().connection_lost(exc)

    def _watch(self) -> None:
        if self.transport.is_closing():
            self._disarm()
            return
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            self._arm(_Phase.BODY)
        elif state is h11.IDLE and (self.cycle is None or self.conn.trailing_data[0]):
            self._arm(_Phase.HEAD)  # a first request, or the next one has begun
        else:
            self._disarm()  # the app answers, or uvicorn's keep-alive timer runs

    def _arm(self, phase: _Phase) -> None:
        if self.phase is phase:
            return
        self._disarm()
        self.phase = phase
        limit = (
            self.limits.header_timeout_s
            if phase is _Phase.HEAD
            else self.limits.body_timeout_s
        )
        self.timer = self.loop.call_later(limit, self._expired, phase, limit)

    def _disarm(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer, self.phase = None, None

    def _expired(self, phase: _Phase, limit: float) -> None:
        self.timer, self.phase = None, None
        quiet.log(
            logging.INFO,
            ("slow", phase),
            "closed a connection from %s: its %s took longer than %.0f s",
            self.client[0] if self.client else "?",
            phase.value,
            limit,
        )
        self.lingering.raw.close()


def _evict(conns: list[BoundedH11]) -> bool:
    """Close the connection idle the longest; False if none is idle."""
    idle = [c for c in conns if c.idle()]
    if not idle:
        return False
    oldest = min(idle, key=lambda c: c.idle_since)
    quiet.log(logging.INFO, "evict", "closed an idle connection to admit a new one")
    oldest.transport.close()
    return True
