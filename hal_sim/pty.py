"""Pseudo-terminal pairs for simulated serial devices.

The simulator writes a device's bytes on the master side; the driver under test
opens the slave path exactly as it would open ``/dev/ttyUSB0``. Both sides are set
to raw mode: no echo, no CR/LF translation, no signals, 8-bit clean, and reads on
the slave return as soon as one byte is there (VMIN 1, VTIME 0). The baud,
parity and stop bits the driver sets on its end are readable with
:func:`serial_settings` (a pty moves bytes whatever they are; a simulated line
compares them with its own, see :mod:`hal_sim.modbus.rtu`).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
import termios
from dataclasses import dataclass
from types import TracebackType
from typing import Self

from drivers.serial.port import FdStream
from hal_sim.modbus.uart import SerialSettings

# termios.tcgetattr list indexes
_IFLAG, _OFLAG, _CFLAG, _LFLAG, _OSPEED, _CC = 0, 1, 2, 3, 5, 6
_BAUDS = {
    getattr(termios, f"B{rate}"): rate
    for rate in (
        300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600, 115200,
        230400, 460800, 500000, 576000, 921600, 1000000,
    )
    if hasattr(termios, f"B{rate}")
}  # fmt: skip
_SIZES = {termios.CS5: 5, termios.CS6: 6, termios.CS7: 7, termios.CS8: 8}


def set_raw(fd: int) -> None:
    """Put the terminal behind ``fd`` into raw mode (like ``cfmakeraw``)."""
    attrs = termios.tcgetattr(fd)
    attrs[_IFLAG] &= ~(
        termios.IGNBRK
        | termios.BRKINT
        | termios.PARMRK
        | termios.ISTRIP
        | termios.INLCR
        | termios.IGNCR
        | termios.ICRNL
        | termios.IXON
    )
    attrs[_OFLAG] &= ~termios.OPOST
    attrs[_LFLAG] &= ~(
        termios.ECHO | termios.ECHONL | termios.ICANON | termios.ISIG | termios.IEXTEN
    )
    attrs[_CFLAG] &= ~(termios.CSIZE | termios.PARENB)
    attrs[_CFLAG] |= termios.CS8
    attrs[_CC][termios.VMIN] = 1
    attrs[_CC][termios.VTIME] = 0
    termios.tcsetattr(fd, termios.TCSANOW, attrs)


def serial_settings(fd: int) -> SerialSettings | None:
    """The baud, parity and stop bits set on the terminal behind ``fd``.

    The two ends of a pty share the slave's settings, so the simulator reads on
    the slave what the master program set when it opened the port. None: a rate
    that has no termios constant and cannot be read back (a custom baud).

    Linux's pty driver clears ``PARENB`` and forces ``CS8`` on every change: a
    parity set with pyserial reads as none, and the byte size always as 8.
    """
    attrs = termios.tcgetattr(fd)
    baud = _BAUDS.get(attrs[_OSPEED]) or _custom_baud(fd)
    if baud is None:
        return None
    cflag = attrs[_CFLAG]
    parity = "N"
    if cflag & termios.PARENB:
        parity = "O" if cflag & termios.PARODD else "E"
    return SerialSettings(
        baud=baud,
        parity=parity,
        stopbits=2 if cflag & termios.CSTOPB else 1,
        bytesize=_SIZES.get(cflag & termios.CSIZE, 8),
    )


_TCGETS2 = 0x802C542A  # Linux (x86, ARM): struct termios2, 44 bytes
_TERMIOS2 = struct.Struct("=4IB19B2I")


def _custom_baud(fd: int) -> int | None:
    """A custom rate (BOTHER, as pyserial sets one) read back with TCGETS2."""
    try:
        raw = fcntl.ioctl(fd, _TCGETS2, bytes(_TERMIOS2.size))
    except OSError:
        return None
    ospeed = int(_TERMIOS2.unpack(raw)[-1])
    return ospeed or None


@dataclass
class PtyPair:
    """A pty: the master fd for the simulator, the slave path for the driver.

    ``slave_fd`` stays open (and unread) so that the master does not see a hang-up
    while no driver has the slave open, e.g. between reconnects.
    """

    master_fd: int
    slave_path: str
    slave_fd: int | None

    def master_stream(self) -> FdStream:
        """Return an asyncio stream over the master side (not owning the fd)."""
        return FdStream(self.master_fd, f"pty master of {self.slave_path}")

    def close(self) -> None:
        """Close both sides; the driver's reads then fail with an IO error."""
        close_pty_pair(self)

    def __enter__(self) -> Self:
        """Return the open pair."""
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Close both sides."""
        self.close()


def open_pty_pair(*, keep_slave_open: bool = True) -> PtyPair:
    """Open a raw pty pair; the master fd is non-blocking."""
    master_fd, slave_fd = os.openpty()
    try:
        set_raw(slave_fd)
        slave_path = os.ttyname(slave_fd)
        os.set_blocking(master_fd, False)
    except BaseException:
        os.close(master_fd)
        os.close(slave_fd)
        raise
    if not keep_slave_open:
        os.close(slave_fd)
    return PtyPair(master_fd, slave_path, slave_fd if keep_slave_open else None)


def close_master(pair: PtyPair) -> None:
    """Close only the master: like unplugging the device (slave reads then fail).

    Close any :class:`FdStream` over the master first.
    """
    if pair.master_fd >= 0:
        with contextlib.suppress(OSError):
            os.close(pair.master_fd)
        pair.master_fd = -1


def close_pty_pair(pair: PtyPair) -> None:
    """Close the master and the kept slave fd; closing twice is harmless."""
    close_master(pair)
    if pair.slave_fd is not None:
        with contextlib.suppress(OSError):
            os.close(pair.slave_fd)
        pair.slave_fd = None
