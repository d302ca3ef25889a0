"""Simulated serial RFID readers that write real frames to a pty (or any stream).

``SimRfidReader(kind, stream, clock)`` speaks the reader's wire protocol, so the
real driver runs against it:

* ``rdm6300``: while a card is held, its 14-byte frame repeats every ``repeat_s``;
* ``line``: the uid is written once, as a CRLF-terminated line;
* ``pn532``: :meth:`SimRfidReader.run` answers the host (wake-up, ACK, responses,
  NACK → resend, ACK → abort); an InListPassiveTarget poll is answered with the held
  card, or, after ``empty_poll_s`` without one, with "no target" (the PN532's finite
  MxRtyPassiveActivation); a card presented meanwhile is answered at once.

:meth:`SimRfidReader.inject_fault` writes a corrupt frame (bad checksum/DCS, non-hex
line), garbage, or a truncated frame, for tests of the driver's error paths.
"""

from __future__ import annotations

import asyncio
from typing import Literal, Protocol

from drivers.rfid.framing import FrameRejected
from drivers.rfid.framing import pn532 as p
from drivers.rfid.framing.line import encode_line
from drivers.rfid.framing.rdm6300 import encode_rdm6300
from drivers.serial.port import FdStream
from edge.model.clock import Clock

SimKind = Literal["rdm6300", "pn532", "line"]
Fault = Literal["corrupt", "garbage", "truncated"]
GARBAGE = b"\xff\x13\x7fnoise\xfe"
FIRMWARE = b"\x32\x01\x06\x07"  # IC PN532, version 1.6, supports ISO A/B and 18092


class ByteStream(Protocol):
    """What the simulator needs of its side of the line."""

    async def read(self, max_bytes: int = 4096) -> bytes:
        """Return the bytes the host sent (at least one)."""
        ...

    async def write(self, data: bytes) -> None:
        """Send bytes to the host."""
        ...


class SimRfidReader:
    """A simulated RDM6300, PN532 (UART) or line reader."""

    def __init__(
        self,
        kind: SimKind,
        stream: ByteStream | int,
        clock: Clock,
        *,
        repeat_s: float = 0.1,
        empty_poll_s: float = 0.05,
    ) -> None:
        self.kind = kind
        self._stream = (
            FdStream(stream, "sim rfid") if isinstance(stream, int) else stream
        )
        self._clock = clock
        self._repeat_s = repeat_s
        self._empty_poll_s = empty_poll_s
        self._card: str | None = None
        self._card_changed = asyncio.Event()
        self._awake = False
        self._corrupt_next = False
        self._last_response = b""
        self.frames_written = 0
        self.commands: list[int] = []  # PN532 command codes received, in order

    async def present(self, uid: str, hold_s: float = 0.5) -> None:
        """Hold the card ``uid`` on the reader for ``hold_s`` seconds of clock time."""
        if self.kind == "rdm6300":
            frame = encode_rdm6300(uid)
            start = self._clock.monotonic()
            sent = 0
            while sent == 0 or sent * self._repeat_s < hold_s:
                await self._clock.sleep(start + sent * self._repeat_s - self._now())
                await self._write(frame)
                sent += 1
            await self._clock.sleep(start + hold_s - self._now())
        elif self.kind == "line":
            await self._write(encode_line(uid))
            await self._clock.sleep(hold_s)
        else:
            p.build_target_response(uid)  # validates the uid length
            self._card = uid.upper()
            self._card_changed.set()
            try:
                await self._clock.sleep(hold_s)
            finally:
                self._card = None
                self._card_changed.clear()

    async def inject(self, data: bytes) -> None:
        """Write raw bytes as they are."""
        await self._stream.write(data)

    async def inject_fault(self, fault: Fault, uid: str | None = None) -> None:
        """Write a faulty frame now (PN532 ``corrupt``: the next poll answer)."""
        uid = uid or ("62E3086CED" if self.kind == "rdm6300" else "04A23B1C")
        if fault == "garbage":
            await self.inject(GARBAGE)
        elif self.kind == "pn532":
            if fault == "truncated":
                await self.inject(p.build_target_response(uid)[:8])
            else:
                self._corrupt_next = True
        elif self.kind == "rdm6300":
            frame = encode_rdm6300(uid)
            bad = frame[:11] + bytes([frame[11] ^ 0x01]) + frame[12:]
            await self.inject(frame[:7] if fault == "truncated" else bad)
        else:
            line = encode_line(uid)
            await self.inject(
                line[:2] + b"G" + line[3:] if fault == "corrupt" else line[:3]
            )

    async def run(self) -> None:
        """Serve the host until cancelled (PN532), or read and drop its bytes."""
        if self.kind != "pn532":
            while True:  # these modules only transmit
                await self._stream.read()
        decoder = p.Pn532FrameDecoder()
        pending: asyncio.Task[None] | None = None
        async with asyncio.TaskGroup() as tasks:
            while True:
                for event in decoder.feed(await self._stream.read()):
                    if isinstance(event, FrameRejected):
                        self._awake |= b"\x55\x55" in event.raw
                        continue
                    if not self._awake:
                        continue  # asleep until the HSU wake-up preamble
                    if event.kind is p.Pn532FrameKind.NACK:
                        if self._last_response:
                            await self._write(self._last_response)
                        continue
                    if pending is not None:
                        pending.cancel()  # an ACK or a new command aborts
                        pending = None
                    if event.kind is p.Pn532FrameKind.INFO and event.data:
                        self.commands.append(event.data[0])
                        await self._stream.write(p.ACK)
                        pending = tasks.create_task(self._answer(event.data))

    async def _answer(self, data: bytes) -> None:
        command, response = data[0], p.ERROR_FRAME
        if command == p.CMD_IN_LIST_PASSIVE_TARGET:
            response = p.build_target_response(await self._wait_card())
        elif command == p.CMD_GET_FIRMWARE_VERSION:
            response = p.build_response(command, FIRMWARE)
        elif command in (p.CMD_SAM_CONFIGURATION, p.CMD_RF_CONFIGURATION):
            response = p.build_response(command)
        self._last_response = response
        if self._corrupt_next and command == p.CMD_IN_LIST_PASSIVE_TARGET:
            self._corrupt_next = False
            response = response[:-2] + bytes([response[-2] ^ 0xFF]) + response[-1:]
        await self._write(response)

    async def _wait_card(self) -> str | None:
        if self._card is None:
            changed = asyncio.ensure_future(self._card_changed.wait())
            timeout = asyncio.ensure_future(self._clock.sleep(self._empty_poll_s))
            try:
                await asyncio.wait(
                    {changed, timeout}, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                changed.cancel()
                timeout.cancel()
        return self._card

    async def _write(self, frame: bytes) -> None:
        await self._stream.write(frame)
        self.frames_written += 1

    def _now(self) -> float:
        return self._clock.monotonic()
