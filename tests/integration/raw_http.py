"""HTTP/1.1 by hand over a real loopback socket, for requests no client would send.

Junk paths, bytes that are not UTF-8, bodies of any size, slow clients: the
request goes out exactly as given, and the answer is read until the server
closes the connection (every request says ``Connection: close``).
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Reply:
    """An HTTP answer as received."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, object]:
        """The body as a JSON object (fails the test otherwise)."""
        out = json.loads(self.body)
        assert isinstance(out, dict), self.body[:200]
        return out

    @property
    def ocpi_status(self) -> object:
        """The envelope's ``status_code``."""
        return self.json()["status_code"]


def token_header(token: str) -> tuple[bytes, bytes]:
    """``Authorization: Token base64(token)`` (OCPI 2.2.1)."""
    return b"Authorization", b"Token " + base64.b64encode(token.encode())


def head(
    method: bytes,
    target: bytes,
    headers: Iterable[tuple[bytes, bytes]] = (),
    *,
    length: int | None = None,
) -> bytes:
    """A request head; ``Content-Length`` when ``length`` is given."""
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: 127.0.0.1"]
    lines += [k + b": " + v for k, v in headers]
    lines.append(b"Connection: close")
    if length is not None:
        lines.append(b"Content-Length: " + str(length).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n"


def parse(raw: bytes) -> Reply:
    """An answer from the bytes received."""
    top, sep, body = raw.partition(b"\r\n\r\n")
    assert sep, f"no complete answer: {raw[:200]!r}"
    status_line, *lines = top.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = body[: int(headers["content-length"])]
    return Reply(int(status_line.split(" ")[1]), headers, body)


async def read_reply(reader: asyncio.StreamReader) -> Reply:
    """Read until the server closes, then parse."""
    chunks = []
    while chunk := await reader.read(65536):
        chunks.append(chunk)
    return parse(b"".join(chunks))


async def request(
    port: int,
    method: bytes,
    target: bytes,
    headers: Iterable[tuple[bytes, bytes]] = (),
    body: bytes = b"",
    *,
    timeout: float = 20.0,
) -> Reply:
    """Send one request exactly as given and return the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head(method, target, headers, length=len(body)) + body)
        await writer.drain()
        async with asyncio.timeout(timeout):
            return await read_reply(reader)
    finally:
        writer.close()
        await asyncio.gather(writer.wait_closed(), return_exceptions=True)


async def read_one(reader: asyncio.StreamReader) -> Reply:
    """Read one answer (its head, then ``Content-Length`` bytes of body)."""
    top = await reader.readuntil(b"\r\n\r\n")
    reply = parse(top)
    n = int(reply.headers.get("content-length", "0"))
    return parse(top + await reader.readexactly(n))


async def closed_by_server(reader: asyncio.StreamReader) -> bytes:
    """Everything the server sends until it closes the connection."""
    out = b""
    try:
        while chunk := await reader.read(65536):
            out += chunk
    except ConnectionResetError:
        pass
    return out
