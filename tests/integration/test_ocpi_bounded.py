"""Our OCPI server put on a network: its own bounds, over real sockets.

Slow clients, huge bodies, more connections than it takes, accept errors and
malformed HTTP, each sent by hand over a real loopback socket to the uplink's
running server (:mod:`tests.integration.raw_http`): dropped, refused or
answered in an envelope, never a 500, and the server serves on. Bad input it
parses (paths, page parameters, JSON bodies): ``test_ocpi_bad_input``.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import json
import logging
import os
import re
import resource
import socket
from pathlib import Path

import pytest

from edge.model.clock import SystemClock
from edge.uplink.ocpi.serve import Limits, bounded_uvicorn, serving
from edge.uplink.ocpi.serve.routes import PREFIX, CpoServer
from tests.integration.ocpi_by_hand import TOKEN_URL, auth, no_errors, port, token_body
from tests.integration.ocpi_rig import Rig, rig, until
from tests.integration.raw_http import (
    closed_by_server,
    head,
    read_one,
    request,
    token_header,
)

FAST = {"header_timeout_s": 0.5, "body_timeout_s": 1.0}
VERSIONS = PREFIX.encode() + b"/versions"


async def connect(r: Rig) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port(r))


async def versions_ok(r: Rig) -> None:
    got = await request(port(r), b"GET", VERSIONS, auth(r))
    assert (got.status, got.ocpi_status) == (200, 1000), got.body


async def test_slowloris_is_dropped_after_the_header_timeout(tmp_path: Path, caplog):
    caplog.set_level(logging.INFO, logger="edge.uplink.ocpi.serve.bounded_uvicorn")
    async with rig(tmp_path, section=FAST) as r:
        clock = SystemClock()
        # before connecting: the server's header timer starts when it accepts,
        # which on a busy machine may be well before connect() returns here
        start = clock.monotonic()
        reader, writer = await connect(r)

        async def drip() -> None:  # a header that never ends, a byte at a time
            line = b"GET " + VERSIONS + b" HTTP/1.1\r\nX-Slow: "
            for i in range(10**6):
                writer.write(line[i : i + 1] if i < len(line) else b"a")
                await writer.drain()
                await asyncio.sleep(0.02)

        dripping = asyncio.create_task(drip())
        try:
            assert await closed_by_server(reader) == b""  # no answer: just closed
            # a lower bound only: load can make the close later, never sooner
            assert clock.monotonic() - start >= FAST["header_timeout_s"]
            assert not dripping.done()  # it was still sending
        finally:
            dripping.cancel()
            await asyncio.gather(dripping, return_exceptions=True)
            writer.close()
        await versions_ok(r)  # the server serves on
    assert any("request head took longer than 0 s" in x.getMessage()
               for x in caplog.records)  # fmt: skip
    no_errors(caplog)


async def test_silent_connection_and_slow_body_are_dropped(tmp_path: Path, caplog):
    async with rig(tmp_path, section=FAST) as r:
        silent_r, silent_w = await connect(r)
        body_r, body_w = await connect(r)
        body_w.write(head(b"PUT", TOKEN_URL, auth(r), length=1000) + b"{" * 10)
        await body_w.drain()
        assert await closed_by_server(silent_r) == b""
        assert await closed_by_server(body_r) == b""
        silent_w.close()
        body_w.close()
        await versions_ok(r)
    no_errors(caplog)


def rss_kib() -> int:
    return int(re.findall(r"VmRSS:\s+(\d+)", Path("/proc/self/status").read_text())[0])


def peak_kib() -> int:
    """The peak RSS since :func:`reset_peak` (Linux: clear_refs 5)."""
    return int(re.findall(r"VmHWM:\s+(\d+)", Path("/proc/self/status").read_text())[0])


def reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")


CHUNK = b"x" * 65536
HUNDRED_MB = 100 * (1 << 20)


async def send_until_answered(
    writer: asyncio.StreamWriter, reader: asyncio.StreamReader, chunks: int, frame
):
    """Stream ``chunks`` body chunks while reading the answer; stop once it comes."""

    async def send() -> None:
        with contextlib.suppress(ConnectionError):
            for _ in range(chunks):
                writer.write(frame(CHUNK))
                await writer.drain()

    sending = asyncio.create_task(send())
    try:
        return await read_one(reader)
    finally:
        sending.cancel()
        await asyncio.gather(sending, return_exceptions=True)
        writer.close()


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
async def test_100_mb_body_is_413_without_memory_growth(
    tmp_path: Path, caplog, framing: str
) -> None:
    async with rig(tmp_path, section=FAST) as r:
        await versions_ok(r)  # everything warmed up
        reader, writer = await connect(r)
        if framing == "content-length":
            top = head(b"PUT", TOKEN_URL, auth(r), length=HUNDRED_MB)
            frame = bytes
        else:
            chunked = (b"Transfer-Encoding", b"chunked")
            top = head(b"PUT", TOKEN_URL, [*auth(r), chunked])
            frame = lambda c: b"%x\r\n" % len(c) + c + b"\r\n"  # noqa: E731
        reset_peak()
        before = rss_kib()
        writer.write(top)
        got = await send_until_answered(writer, reader, HUNDRED_MB // len(CHUNK), frame)
        grown = peak_kib() - before
        assert (got.status, got.ocpi_status) == (413, 2000)
        assert "over 1048576 bytes" in str(got.json()["status_message"])
        assert grown < 8 * 1024, f"peak RSS grew by {grown} KiB"
        await versions_ok(r)
    no_errors(caplog)


async def test_content_length_over_the_bound_is_refused_before_reading(tmp_path: Path):
    async with rig(tmp_path, section={"max_body_bytes": 4096, **FAST}) as r:
        reader, writer = await connect(r)
        writer.write(head(b"PUT", TOKEN_URL, auth(r), length=4097))  # no body sent
        await writer.drain()
        got = await read_one(reader)  # answered without waiting for the body
        assert (got.status, got.ocpi_status) == (413, 2000)
        assert "over 4096 bytes" in str(got.json()["status_message"])
        writer.close()
        # without a token: 401, and the size is not even looked at
        anonymous = await request(port(r), b"PUT", TOKEN_URL, (), b"x" * 5000)
        assert (anonymous.status, anonymous.ocpi_status) == (401, 2000)
        fine = json.dumps(token_body()).encode()
        assert len(fine) < 4096
        put = await request(port(r), b"PUT", TOKEN_URL, auth(r), fine)
        assert (put.status, put.ocpi_status) == (201, 1000)


async def test_idle_connections_beyond_the_limit_do_not_lock_out(
    tmp_path: Path, caplog
) -> None:
    async with rig(tmp_path, section={"max_connections": 4, **FAST}) as r:
        idle = [await connect(r) for _ in range(40)]  # 10 x the limit, silent
        await versions_ok(r)  # the idlest connections made room
        closed = 0
        for reader, _ in idle:
            if reader.at_eof() or await asyncio.wait_for(reader.read(1), 5) == b"":
                closed += 1
        assert closed >= 40 - 4 + 1  # at most 3 of them still held (and ours)
        for _, writer in idle:
            writer.close()
    no_errors(caplog)


async def test_busy_connections_get_503_then_room_after_the_timeout(
    tmp_path: Path, caplog
) -> None:
    async with rig(tmp_path, section={"max_connections": 4, **FAST}) as r:
        slow = []
        for _ in range(4):  # each is amid a request body: not idle, not evictable
            reader, writer = await connect(r)
            expect = [*auth(r), (b"Expect", b"100-continue")]
            writer.write(head(b"PUT", TOKEN_URL, expect, length=100) + b"{")
            await writer.drain()
            # the server has read the head and waits for the body
            interim = await reader.readuntil(b"\r\n\r\n")
            assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
            slow.append((reader, writer))
        busy = await request(port(r), b"GET", VERSIONS, auth(r))
        assert (busy.status, busy.ocpi_status) == (503, 3000)
        assert "too many connections" in str(busy.json()["status_message"])
        for reader, _ in slow:  # the body timeout drops them
            assert await closed_by_server(reader) == b""
        await versions_ok(r)
        for _, writer in slow:
            writer.close()
    no_errors(caplog)


async def test_accept_errors_give_one_line_per_interval(caplog) -> None:
    """EMFILE for real: this process's open-files limit is lowered meanwhile."""
    caplog.set_level(logging.INFO)
    server = CpoServer(SystemClock(), [], lambda: {"B"})
    key = ("accept", errno.EMFILE)
    clients: list[socket.socket] = []
    windows = bounded_uvicorn.quiet.gate.windows
    async with serving(server.app, "127.0.0.1", 0, refusal=server.refusal) as bound:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(
            resource.RLIMIT_NOFILE, (len(os.listdir("/proc/self/fd")) + 3, hard)
        )
        try:
            with contextlib.suppress(OSError):  # until no descriptor is left
                while True:  # the kernel completes the connects; nobody accepts
                    clients.append(socket.create_connection(("127.0.0.1", bound.port)))
            # more than one round of retries (asyncio retries each second)
            await until(
                lambda: key in windows and windows[key].suppressed > 2 * Limits.backlog,
                timeout=30,
            )
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
            for c in clients:
                c.close()
        lines = [x for x in caplog.records if "cannot accept" in x.getMessage()]
        assert len(lines) == 1
        assert "Too many open files" in lines[0].getMessage()
        assert lines[0].exc_info is None  # no traceback
        got = await request(bound.port, b"GET", VERSIONS, [token_header("B")])
        assert (got.status, got.ocpi_status) == (200, 1000)  # it serves on
    lines = [x.getMessage() for x in caplog.records]
    lines = [x for x in lines if "cannot accept" in x]
    assert len(lines) == 2  # the count is written when the server stops
    assert re.search(r": \d+ more like this in the last \d+ s$", lines[1])
    assert not [x for x in caplog.records if x.name == "asyncio"]


@pytest.mark.parametrize("token", [True, False])
async def test_an_early_answer_lingers_for_the_body_still_coming(
    tmp_path: Path, token: bool
) -> None:
    """``Connection: close``: FIN after the answer, then the body is still read.

    Closed at once, the server's socket would reset with the body unread, and
    on a real network the reset can destroy the answer before the client reads
    it. Here the client sees the answer and the FIN, and may still send for a
    while (bounded_uvicorn.LINGER_S) without a reset.
    """
    async with rig(tmp_path, section={"max_body_bytes": 4096, **FAST}) as r:
        reader, writer = await connect(r)
        headers = auth(r) if token else []
        writer.write(head(b"PUT", TOKEN_URL, headers, length=64 * len(CHUNK)))
        writer.write(CHUNK)
        got = await read_one(reader)
        assert (got.status, got.ocpi_status) == ((413, 2000) if token else (401, 2000))
        assert await reader.read() == b""  # FIN after the answer
        for _ in range(32):  # 2 MiB more after the FIN: read and dropped
            writer.write(CHUNK)
            await writer.drain()
        writer.close()


async def test_malformed_http_is_400_in_an_envelope_logged_once(
    tmp_path: Path, caplog
) -> None:
    caplog.set_level(logging.INFO)
    uvicorn_log = logging.getLogger("uvicorn")  # it does not propagate to root
    try:
        await _malformed(tmp_path, caplog.handler)
    finally:
        uvicorn_log.removeHandler(caplog.handler)
    invalid = [x for x in caplog.records if "Invalid HTTP request" in x.getMessage()]
    assert len(invalid) == 2  # the first, and the count when the server stopped
    assert "29 more like this in the last" in invalid[1].getMessage()
    no_errors(caplog)


async def _malformed(tmp_path: Path, handler: logging.Handler) -> None:
    async with rig(tmp_path) as r:
        # uvicorn configures its loggers when a server starts: watch after that
        logging.getLogger("uvicorn").addHandler(handler)
        for junk in (b"\x00\x01 / HTTP/1.1", b"GET /\x7f HTTP/1.1", b"GET / HTTP/9"):
            for _ in range(10):
                reader, writer = await connect(r)
                writer.write(junk + b"\r\nHost: x\r\n\r\n")
                got = await read_one(reader)
                writer.close()
                assert (got.status, got.ocpi_status) == (400, 2000)
                assert "not valid HTTP/1.1" in str(got.json()["status_message"])
        await versions_ok(r)
