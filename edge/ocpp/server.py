"""The websocket server chargers connect to: the only module that imports websockets.

``ws(s)://<listen_host>:<listen_port>/<identity>``. The handshake is decided
before the upgrade (:meth:`CentralSystem.admit`): an undeclared identity gets
HTTP 404, missing or wrong Basic credentials HTTP 401 (with a
``WWW-Authenticate`` challenge). The subprotocol is the charger's declared
version if it offers it; if it offers none we speak, the handshake completes
without ``Sec-WebSocket-Protocol`` and the connection is closed at once, as
OCPP-J 1.6 section 3.1.2 requires.

TLS (security profile 2): with ``tls_cert_file`` and ``tls_key_file``, TLS 1.2
or newer, as the OCPI server does.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Sequence
from dataclasses import dataclass

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from edge.ocpp import handshake
from edge.ocpp.central import CentralSystem
from edge.ocpp.link import LinkClosed

log = logging.getLogger(__name__)


class _WsLink:
    """A websockets connection as a :class:`edge.ocpp.link.Link`."""

    def __init__(self, connection: ServerConnection) -> None:
        self._c = connection

    @property
    def subprotocol(self) -> str | None:
        return self._c.subprotocol

    async def recv(self) -> str | bytes:
        try:
            return await self._c.recv()
        except ConnectionClosed as exc:
            raise LinkClosed from exc

    async def send(self, text: str) -> None:
        try:
            await self._c.send(text)
        except ConnectionClosed as exc:
            raise LinkClosed from exc

    async def close(self, code: int, reason: str) -> None:
        await self._c.close(code, reason)


@dataclass
class OcppServer:
    """The listening server; ``port`` is the one bound (for port 0)."""

    server: Server
    port: int
    scheme: str

    def url(self, host: str, identity: str) -> str:
        """Where a charger with ``identity`` connects."""
        return f"{self.scheme}://{host}:{self.port}/{identity}"

    async def close(self) -> None:
        """Stop listening and close every connection."""
        self.server.close()
        await self.server.wait_closed()


async def start(
    central: CentralSystem, ssl_context: ssl.SSLContext | None = None
) -> OcppServer:
    """Listen on ``[ocpp] listen_host:listen_port`` for chargers."""
    section = central.section

    def process_request(
        connection: ServerConnection, request: Request
    ) -> Response | None:
        verdict = central.admit(request.path, request.headers.get("Authorization"))
        if isinstance(verdict, handshake.Admit):
            return None
        response = connection.respond(verdict.status, f"{verdict.status.name}\n")
        if verdict.status is handshake.Refusal.UNAUTHORIZED:
            response.headers["WWW-Authenticate"] = 'Basic realm="edge-ocpp"'
        return response

    def select_subprotocol(
        connection: ServerConnection, offered: Sequence[Subprotocol]
    ) -> Subprotocol | None:
        wanted = central.protocol_of(handshake.identity_of(_path(connection)))
        if wanted is None or wanted not in offered:
            return None
        return Subprotocol(wanted)

    async def handler(connection: ServerConnection) -> None:
        identity = handshake.identity_of(_path(connection))
        declared = None if identity is None else central.declared.get(identity)
        if declared is None:  # admitted a moment ago: [ocpp] does not change
            await connection.close(1008, "not declared")
            return
        await central.serve(declared.charger, _WsLink(connection))

    server = await serve(
        handler,
        section.listen_host,
        section.listen_port,
        process_request=process_request,
        select_subprotocol=select_subprotocol,
        max_size=section.max_message_bytes,
        ssl=ssl_context,
        server_header=None,
    )
    port = next(iter(server.sockets)).getsockname()[1]
    scheme = "ws" if ssl_context is None else "wss"
    log.info(
        "OCPP central system on %s://%s:%d/<identity> (%d chargers declared)",
        scheme,
        section.listen_host,
        port,
        len(central.declared),
    )
    return OcppServer(server, port, scheme)


def _path(connection: ServerConnection) -> str:
    request = connection.request
    return "" if request is None else request.path
