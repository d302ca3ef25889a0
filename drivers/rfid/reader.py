"""RFID reader driver: a serial port, a pure decoder, a debouncer, and reconnects.

Usage (one consumer per reader)::

    reader = RfidReader("/dev/ttyUSB0", "rdm6300", clock)
    async for uid in reader.tokens():  # runs until cancelled
        bus.publish(TokenPresented(uid, ...))

:meth:`RfidReader.tokens` is an async generator: it yields each presented card's
uid (canonical upper-case hex) in the same event-loop step as the byte completing
its frame (ETX, newline, PN532 postamble) is read, with no poll interval and no timer
before the first read. A held card is yielded once (see :mod:`.debounce`). Bad
frames are counted and logged (WARNING once per burst, DEBUG otherwise) and never
raise; port errors are counted and the port reopened with backoff on the clock.
Only cancellation (or closing the generator) ends the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator
from typing import Literal, get_args

from drivers.rfid.debounce import DEFAULT_HOLD_S, RfidCounters, TokenFilter
from drivers.rfid.framing import FrameDecoder, FrameEvent, FrameRejected
from drivers.rfid.framing.line import LineDecoder
from drivers.rfid.framing.rdm6300 import Rdm6300Decoder
from drivers.rfid.pn532_host import Pn532Host
from drivers.serial.port import SerialConfig, SerialPort, SerialPortError
from edge.model.clock import Clock
from edge.model.redact import redact_uid

log = logging.getLogger(__name__)

ReaderKind = Literal["rdm6300", "pn532", "line"]
READER_KINDS: tuple[ReaderKind, ...] = get_args(ReaderKind)
DEFAULT_BAUD: dict[ReaderKind, int] = {"rdm6300": 9600, "pn532": 115200, "line": 9600}
PORT_HINT = "check the rfid.port key"


def make_decoder(kind: ReaderKind) -> FrameDecoder:
    """Return a fresh stream decoder for a push-style reader kind."""
    if kind == "rdm6300":
        return Rdm6300Decoder()
    if kind == "line":
        return LineDecoder()
    raise ValueError(f"{kind!r} readers are polled, not decoded from a stream")


class RfidReader:
    """One serial RFID reader, yielding debounced uids from :meth:`tokens`."""

    def __init__(
        self,
        port_path: str,
        kind: ReaderKind,
        clock: Clock,
        baud: int | None = None,
        hold_s: float = DEFAULT_HOLD_S,
        *,
        framing: str = "8N1",
        backoff_s: tuple[float, float] = (0.5, 30.0),
        pn532_card_pause_s: float = 0.1,
    ) -> None:
        if kind not in READER_KINDS:
            known = ", ".join(READER_KINDS)
            raise ValueError(f"unknown RFID reader kind {kind!r} (use one of {known})")
        self.port_path = port_path
        self.kind = kind
        self.config = SerialConfig.parse(baud or DEFAULT_BAUD[kind], framing)
        self._clock = clock
        self._filter = TokenFilter(hold_s)
        self._backoff_min, self._backoff_max = backoff_s
        if not 0 < self._backoff_min <= self._backoff_max:
            raise ValueError(
                f"backoff_s must be (min, max) with 0 < min <= max: {backoff_s}"
            )
        self._card_pause_s = pn532_card_pause_s
        self._running = False
        self._connected = False
        self.opened = asyncio.Event()
        """Set while the port is open: await it to know the reader can hear cards."""
        self._logged_error: str | None = None

    @property
    def counters(self) -> RfidCounters:
        """A snapshot of the frame, token and port counters."""
        return self._filter.counters.snapshot()

    @property
    def connected(self) -> bool:
        """Whether the serial port is open right now."""
        return self._connected

    async def tokens(self) -> AsyncGenerator[str]:
        """Yield each presented uid once; reopen the port after errors; never ends."""
        if self._running:
            raise RuntimeError(f"tokens() of {self.port_path} is already iterated")
        self._running = True
        backoff = self._backoff_min
        try:
            while True:
                try:
                    port = SerialPort.open(self.port_path, self.config, hint=PORT_HINT)
                except SerialPortError as exc:
                    self._port_error(exc, backoff)
                    await self._clock.sleep(backoff)
                    backoff = min(backoff * 2, self._backoff_max)
                    continue
                self._on_open()
                try:
                    async with contextlib.aclosing(self._batches(port)) as batches:
                        async for events in batches:
                            backoff = self._backoff_min  # the device talks: healthy
                            self._logged_error = None
                            for uid in self._handle(events):
                                yield uid
                except SerialPortError as exc:
                    self._port_error(exc, backoff)
                finally:
                    port.close()
                    self._connected = False
                    self.opened.clear()
                await self._clock.sleep(backoff)
        finally:
            self._running = False

    def _on_open(self) -> None:
        self._connected = True
        self.opened.set()
        log.info("RFID %s reader on %s (%s)", self.kind, self.port_path, self.config)

    def _port_error(self, exc: SerialPortError, retry_s: float) -> None:
        counters = self._filter.counters
        counters.port_errors += 1
        counters.last_port_error = str(exc)
        level = logging.DEBUG if str(exc) == self._logged_error else logging.ERROR
        self._logged_error = str(exc)
        log.log(level, "RFID reader: %s; retrying in %g s", exc, retry_s)

    def _handle(self, events: list[FrameEvent]) -> list[str]:
        uids, warnings = self._filter.process(events, self._clock.monotonic())
        for event in events:
            if isinstance(event, FrameRejected):
                log.debug("RFID %s: %s; raw %s", self.kind, event, event.raw.hex(" "))
        for warning in warnings:
            log.warning(
                "RFID %s reader on %s dropped input: %s (further drops of this"
                " kind logged at DEBUG)",
                self.kind,
                self.port_path,
                warning.message,
            )
        for uid in uids:
            log.info("RFID token presented on %s: %s", self.port_path, redact_uid(uid))
        return uids

    async def _batches(self, port: SerialPort) -> AsyncGenerator[list[FrameEvent]]:
        """Yield the events of each chunk the device sends (possibly none)."""
        if self.kind == "pn532":
            async with contextlib.aclosing(self._pn532_batches(port)) as batches:
                async for events in batches:
                    yield events
            return
        decoder = make_decoder(self.kind)
        while True:
            yield decoder.feed(await port.read())

    async def _pn532_batches(
        self, port: SerialPort
    ) -> AsyncGenerator[list[FrameEvent]]:
        """Drive :class:`Pn532Host`: bytes in, deadlines on the clock, bytes out."""
        clock = self._clock
        host = Pn532Host(card_pause_s=self._card_pause_s)
        await port.write(host.start(clock.monotonic()))
        read: asyncio.Task[bytes] = asyncio.ensure_future(port.read())
        timer: asyncio.Task[None] | None = None
        try:
            while True:
                if host.deadline is not None:
                    delay = host.deadline - clock.monotonic()
                    timer = asyncio.ensure_future(clock.sleep(delay))
                await asyncio.wait(
                    {read} if timer is None else {read, timer},
                    return_when=asyncio.FIRST_COMPLETED,
                )
                data = b""
                if read.done():
                    data = read.result()
                    read = asyncio.ensure_future(port.read())
                    step = host.feed(data, clock.monotonic())
                else:
                    step = host.on_deadline(clock.monotonic())
                if timer is not None:
                    timer.cancel()
                    timer = None
                if step.send:
                    await port.write(step.send)
                if step.events or data:
                    yield step.events
        finally:
            for task in (read, timer):
                if task is not None:
                    task.cancel()
            await asyncio.wait({read})
            if not read.cancelled():
                read.exception()  # retrieved: reported through the loop above
