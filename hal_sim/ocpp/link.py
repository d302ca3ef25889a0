"""A charge point's websocket to a central system: the simulator's websockets importer.

``open_link`` connects to ``ws(s)://<host>:<port>/<identity>`` offering the
given subprotocols, with ``Authorization: Basic`` when a password is given (as
raw bytes: a 1.6 ``AuthorizationKey`` need not be text). A refused handshake
raises :class:`HandshakeRefused` with the HTTP status the server answered.
"""

from __future__ import annotations

import base64
import ssl
from collections.abc import Sequence

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.typing import Subprotocol


class HandshakeRefused(Exception):
    """The central system refused the websocket handshake."""

    def __init__(self, status: int) -> None:
        super().__init__(f"handshake refused with HTTP {status}")
        self.status = status


class LinkLost(Exception):
    """The websocket closed."""

    def __init__(self, code: int | None, reason: str) -> None:
        super().__init__(f"websocket closed ({code}: {reason})")
        self.code = code
        self.reason = reason


class RawLink:
    """Text frames over one open websocket."""

    def __init__(self, connection: ClientConnection) -> None:
        self._c = connection

    @property
    def subprotocol(self) -> str | None:
        """What the server agreed to (None: nothing)."""
        return self._c.subprotocol

    async def send(self, text: str) -> None:
        """Send one text frame."""
        try:
            await self._c.send(text)
        except ConnectionClosed as exc:
            raise _lost(exc) from exc

    async def send_bytes(self, data: bytes) -> None:
        """Send one binary frame (what OCPP-J never sends; for fault tests)."""
        try:
            await self._c.send(data)
        except ConnectionClosed as exc:
            raise _lost(exc) from exc

    async def recv(self) -> str:
        """The next text frame."""
        try:
            frame = await self._c.recv()
        except ConnectionClosed as exc:
            raise _lost(exc) from exc
        return frame if isinstance(frame, str) else frame.decode("utf-8", "replace")

    async def wait_closed(self) -> LinkLost:
        """Wait until the server closes; how it closed."""
        await self._c.wait_closed()
        return LinkLost(self._c.close_code, self._c.close_reason or "")

    async def close(self) -> None:
        """Close the websocket."""
        await self._c.close()


def _lost(exc: ConnectionClosed) -> LinkLost:
    frame = exc.rcvd
    return LinkLost(
        None if frame is None else frame.code, "" if frame is None else frame.reason
    )


def basic_auth(identity: str, password: bytes) -> str:
    """``Basic base64(<identity>:<password>)``."""
    return "Basic " + base64.b64encode(identity.encode() + b":" + password).decode()


async def open_link(
    url: str,
    identity: str,
    password: bytes | None = None,
    subprotocols: Sequence[str] = ("ocpp1.6",),
    ssl_context: ssl.SSLContext | None = None,
    authorization: str | None = None,
) -> RawLink:
    """Connect to a central system as ``identity``.

    ``authorization`` overrides the header built from ``password`` (fault tests).
    """
    header = authorization
    if header is None and password is not None:
        header = basic_auth(identity, password)
    try:
        connection = await connect(
            url,
            subprotocols=[Subprotocol(s) for s in subprotocols],
            additional_headers=None if header is None else {"Authorization": header},
            ssl=ssl_context,
            open_timeout=None,
        )
    except InvalidStatus as exc:
        raise HandshakeRefused(exc.response.status_code) from exc
    return RawLink(connection)
