"""Serve simulated devices over Modbus TCP (one listener = one gateway/bus).

Requests are answered one at a time per connection, like a real gateway; a
device's injected faults decide whether and how it answers. With RTU framing
the listener is an RTU-over-TCP gateway: RTU frames (CRC included) in TCP, the
serial line behind it taking the wire's time when ``line`` is given, and a
unit nobody answers for is simply silent, as on the wire.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping

from drivers.modbus.wire import LineTiming, request_chars
from hal_sim.devices.base import ProfileDevice
from hal_sim.modbus.framing import Framing, Reply, Request, RequestDecoder, encode_reply

log = logging.getLogger(__name__)
GATEWAY_TARGET_FAILED = 0x0B


def answer(
    devices: Mapping[int, ProfileDevice], request: Request
) -> tuple[ProfileDevice | None, Reply]:
    """Dispatch one request to its device; return the device and its reply."""
    device = devices.get(request.unit)
    if device is None:
        return None, GATEWAY_TARGET_FAILED
    return device, serve(device, request)


def serve(device: ProfileDevice, request: Request) -> Reply:
    """What ``device`` makes of ``request``: words, an exception code or None."""
    if request.values is None:
        return device.read(request.function, request.address, request.count)
    return device.write(request.function, request.address, request.values)


def corrupt(framing: Framing, frame: bytes) -> bytes:
    """Garble a reply: a wrong CRC on RTU; on TCP (no CRC) a short frame."""
    if framing is Framing.RTU:
        return frame[:-1] + bytes([frame[-1] ^ 0xFF])
    return frame[:-1]


def answer_faulty(
    device: ProfileDevice, request: Request, framing: Framing
) -> bytes | None:
    """The frame ``device`` sends back, faults applied; None if it stays silent."""
    reply = serve(device, request)
    faults = device.faults
    if faults.no_answer:
        return None
    frame = encode_reply(framing, request, reply)
    if faults.crc_error:
        frame = corrupt(framing, frame)
    if faults.truncated:
        frame = frame[: max(1, len(frame) - 3)]
    return frame


class ModbusTcpSim:
    """A Modbus TCP (or RTU-over-TCP) listener in front of simulated devices."""

    def __init__(
        self,
        devices: Mapping[int, ProfileDevice],
        host: str = "127.0.0.1",
        port: int = 0,
        before_request: Callable[[], None] | None = None,
        framing: Framing = Framing.TCP,
        line: LineTiming | None = None,
    ) -> None:
        self.devices = devices
        self.host = host
        self.port = port
        self.framing = framing
        self.line = line
        self._before = before_request
        self._server: asyncio.Server | None = None
        self._conns: dict[asyncio.StreamWriter, asyncio.Task[None] | None] = {}

    async def start(self) -> int:
        """Listen; return the bound port (useful with port 0)."""
        self._server = await asyncio.start_server(self._client, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    async def close(self) -> None:
        """Stop listening and drop every connection."""
        if self._server is not None:
            self._server.close()
            for writer in list(self._conns):
                writer.close()
            tasks = [t for t in self._conns.values() if t is not None]
            if tasks:
                await asyncio.wait(tasks, timeout=2.0)
            await self._server.wait_closed()

    async def _reply(self, request: Request) -> bytes | None:
        device = self.devices.get(request.unit)
        if device is None:
            if self.framing is Framing.RTU:
                return None  # nobody on the line answers for this unit
            return encode_reply(self.framing, request, GATEWAY_TARGET_FAILED)
        frame = answer_faulty(device, request, self.framing)
        delay = device.faults.slow_ms / 1000
        if self.line is not None and frame is not None:
            delay += self.line.transaction_s(
                request_chars(request.function, request.count),
                len(frame),
                device.turnaround_ms / 1000,
            )
        if delay > 0:
            await asyncio.sleep(delay)
        return frame

    async def _client(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        self._conns[writer] = asyncio.current_task()
        decoder = RequestDecoder(self.framing)
        try:
            while data := await reader.read(4096):
                for request in decoder.feed(data):
                    if self._before is not None:
                        self._before()
                    frame = await self._reply(request)
                    if frame is not None:
                        writer.write(frame)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._conns.pop(writer, None)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
