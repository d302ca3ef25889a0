"""Asyncio serial streams over a device path: the project's only pyserial importer.

pyserial opens the device and sets baud rate, byte size, parity and stop bits (it
works on real ``/dev/ttyUSB*`` devices and on pty slaves alike). After that, IO goes
straight to the non-blocking file descriptor through ``loop.add_reader`` and
``loop.add_writer``: :meth:`FdStream.read` returns as soon as any byte is available,
with no polling interval. Every OS or pyserial error is raised as
:class:`SerialPortError` naming the path and the OS reason.

Cancelling a pending :meth:`FdStream.read` loses no data: bytes are read from the
fd only after readiness, inside the same step that returns them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from dataclasses import dataclass
from types import TracebackType
from typing import Literal, Self

import serial

from drivers.errors import BusError

Parity = Literal["N", "E", "O"]
STANDARD_BAUDS = (1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200)


class SerialPortError(BusError):
    """A serial port could not be opened, read or written.

    ``str()`` reads like ``cannot open /dev/ttyUSB0: [Errno 2] No such file or
    directory — check the rfid.port key``.
    """

    def __init__(
        self, what: str, path: str, reason: str, hint: str | None = None
    ) -> None:
        self.path = path
        self.reason = reason
        self.hint = hint
        tail = f" — {hint}" if hint else ""
        super().__init__(f"{what} {path}: {reason}{tail}")


def os_reason(exc: BaseException) -> str:
    """Return ``[Errno N] text`` for an OS error (or its cause), else ``str(exc)``."""
    for candidate in (exc, exc.__cause__, exc.__context__):
        if isinstance(candidate, OSError) and candidate.errno is not None:
            return f"[Errno {candidate.errno}] {os.strerror(candidate.errno)}"
    return str(exc) or type(exc).__name__


@dataclass(frozen=True, slots=True)
class SerialConfig:
    """Line settings: a standard baud rate 1200..115200, 7/8 data bits, N/E/O, 1/2."""

    baud: int = 9600
    bytesize: int = 8
    parity: Parity = "N"
    stopbits: int = 1

    def __post_init__(self) -> None:
        """Reject settings a UART reader cannot use, naming the value."""
        if self.baud not in STANDARD_BAUDS:
            allowed = ", ".join(map(str, STANDARD_BAUDS))
            raise ValueError(f"baud rate {self.baud} not supported (use {allowed})")
        if self.bytesize not in (7, 8):
            raise ValueError(f"byte size {self.bytesize} not supported (use 7 or 8)")
        if self.parity not in ("N", "E", "O"):
            raise ValueError(f"parity {self.parity!r} not supported (use N, E or O)")
        if self.stopbits not in (1, 2):
            raise ValueError(f"stop bits {self.stopbits} not supported (use 1 or 2)")

    @classmethod
    def parse(cls, baud: int, framing: str = "8N1") -> SerialConfig:
        """Build from a baud rate and a framing string such as ``8N1`` or ``8E1``."""
        text = framing.strip().upper()
        if len(text) != 3 or not text[0].isdigit() or not text[2].isdigit():
            raise ValueError(f"framing {framing!r} is not like '8N1'")
        parities: dict[str, Parity] = {"N": "N", "E": "E", "O": "O"}
        if text[1] not in parities:
            raise ValueError(f"parity {text[1]!r} in {framing!r} not supported")
        return cls(baud, int(text[0]), parities[text[1]], int(text[2]))

    def __str__(self) -> str:
        """Return e.g. ``9600 8N1``."""
        return f"{self.baud} {self.bytesize}{self.parity}{self.stopbits}"


class FdStream:
    """An asyncio byte stream over a non-blocking file descriptor (tty, pty, pipe)."""

    def __init__(self, fd: int, name: str, *, owns_fd: bool = False) -> None:
        os.set_blocking(fd, False)
        self.name = name
        self._fd = fd
        self._owns_fd = owns_fd
        self._closed = False
        self._reading = False
        self._write_lock = asyncio.Lock()
        self._waiters: set[asyncio.Future[None]] = set()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def fileno(self) -> int:
        """Return the file descriptor."""
        return self._fd

    async def read(self, max_bytes: int = 4096) -> bytes:
        """Return the bytes available now (at least one), waiting until some arrive."""
        if self._reading:
            raise RuntimeError(f"concurrent read on {self.name}")
        self._reading = True
        try:
            while True:
                self._check_open("read from")
                try:
                    data = os.read(self._fd, max_bytes)
                except BlockingIOError:
                    await self._ready(writing=False)
                    continue
                except OSError as exc:
                    raise SerialPortError(
                        "read error on", self.name, os_reason(exc)
                    ) from exc
                if not data:
                    raise SerialPortError(
                        "lost", self.name, "end of file (device disconnected?)"
                    )
                return data
        finally:
            self._reading = False

    async def write(self, data: bytes) -> None:
        """Write all of ``data``, waiting while the device's buffer is full."""
        view = memoryview(data)
        async with self._write_lock:
            while view:
                self._check_open("write to")
                try:
                    written = os.write(self._fd, view)
                except BlockingIOError:
                    await self._ready(writing=True)
                    continue
                except OSError as exc:
                    raise SerialPortError(
                        "write error on", self.name, os_reason(exc)
                    ) from exc
                view = view[written:]

    def close(self) -> None:
        """Close; pending reads and writes fail with :class:`SerialPortError`."""
        if self._closed:
            return
        self._closed = True
        error = SerialPortError("closed", self.name, "port closed while waiting")
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_exception(error)
        if self._waiters:
            loop = asyncio.get_running_loop()
            loop.remove_reader(self._fd)
            loop.remove_writer(self._fd)
        if self._owns_fd:
            os.close(self._fd)

    def _check_open(self, what: str) -> None:
        if self._closed:
            raise SerialPortError(what, self.name, "port is closed")

    async def _ready(self, *, writing: bool) -> None:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            if not waiter.done():
                waiter.set_result(None)

        self._waiters.add(waiter)
        (loop.add_writer if writing else loop.add_reader)(self._fd, wake)
        try:
            await waiter
        finally:
            self._waiters.discard(waiter)
            if not self._closed:
                (loop.remove_writer if writing else loop.remove_reader)(self._fd)

    async def __aenter__(self) -> Self:
        """Return the open stream."""
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close the stream."""
        self.close()


class SerialPort(FdStream):
    """A serial device opened and configured by pyserial, read and written async."""

    def __init__(self, device: serial.Serial, path: str, config: SerialConfig) -> None:
        super().__init__(device.fileno(), path)
        self._device = device
        self.path = path
        self.config = config

    @classmethod
    def open(
        cls,
        path: str,
        config: SerialConfig | None = None,
        *,
        hint: str | None = None,
        exclusive: bool = True,
    ) -> SerialPort:
        """Open and configure ``path``; ``hint`` is appended to error messages.

        ``exclusive`` takes an advisory lock, so that two processes cannot both read
        one reader. Raises :class:`SerialPortError` naming the path and the reason.
        """
        config = config or SerialConfig()
        try:
            device = serial.Serial(
                port=path,
                baudrate=config.baud,
                bytesize=config.bytesize,
                parity=config.parity,
                stopbits=config.stopbits,
                timeout=0,
                # VMIN 1 / VTIME 0: an empty non-blocking read fails with EAGAIN
                # instead of returning b"", so b"" means end of file (hang-up).
                inter_byte_timeout=0,
                exclusive=exclusive,
            )
        except (serial.SerialException, OSError, ValueError) as exc:
            raise SerialPortError("cannot open", path, os_reason(exc), hint) from exc
        return cls(device, path, config)

    def close(self) -> None:
        """Close the device (idempotent)."""
        if self.closed:
            return
        super().close()
        # Closing a vanished device can fail; there is nothing left to release then.
        with contextlib.suppress(serial.SerialException, OSError):
            self._device.close()
