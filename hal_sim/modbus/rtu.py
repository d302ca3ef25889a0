"""One simulated RS-485 line on a pty pair, as slow as the wire at its baud.

The master opens the pty's slave path as it would ``/dev/ttyUSB0``; every
device on the line hears every frame and only the addressed one answers, like
one twisted pair. A pty moves bytes instantly, so the line keeps the wire's
clock itself (on the event loop's monotonic time: wire time is physics, never
scaled with the site clock):

- a request's bytes take ``chars x bits-per-char / baud`` from their arrival;
  the frame ends after 3.5 characters of silence (a gap over 1.5 characters
  inside it breaks it);
- bytes that start less than 3.5 characters after the previous frame merge
  with it into garbage for every device that was listening: a master that does
  not keep the silence gets no answer from the next device, except from the
  one that just answered (its receiver was off while it talked), as on a real
  multi-drop line;
- the addressed device answers ``turnaround`` after the frame ended (the
  profile's ``turnaround_ms`` plus any injected ``slow_ms``); its answer is
  handed to the master once its last character would have arrived.

The line has its baud, parity and stop bits (the :class:`LineTiming`), and it
reads the ones the master set on its end of the pty (:func:`serial_settings`).
When they differ, each direction is heard as a UART at the other settings would
hear it (:mod:`hal_sim.modbus.uart`): at the wrong baud the devices get other
bytes with framing errors and stay silent, and whatever they answer reaches the
master as garbage; at the wrong parity they see parity or framing errors and
stay silent (a Modbus device drops a frame with a bad character). Differing stop
bits pass, as between real UARTs, which check one stop bit. A Linux pty does
not keep parity (see :func:`serial_settings`): a master that shows no odd parity
is taken to use the line's own, so only the baud and the stop bits are checked
in practice.

Injected faults (see :class:`hal_sim.devices.base.Faults`): no answer, a bad
CRC, a truncated answer, an exception code, frozen or zeroed registers, slow
answers. A late answer still goes out (a real device does not know the master
gave up), so a too-short master timeout shows up as it would on site.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from drivers.modbus.wire import LineTiming, crc_ok
from hal_sim.devices.base import ProfileDevice
from hal_sim.modbus.framing import Framing, Request, RequestDecoder
from hal_sim.modbus.server import answer_faulty
from hal_sim.modbus.uart import SerialSettings, hear
from hal_sim.pty import PtyPair, open_pty_pair, serial_settings

log = logging.getLogger(__name__)


@dataclass
class LineStats:
    """What the line saw, for tests and benches."""

    frames: int = 0
    answered: int = 0
    silent: int = 0
    """Frames for nobody, or for a device that did not answer."""
    early: int = 0
    """Frames that began less than 3.5 characters after the previous one."""
    broken: int = 0
    """Frames with a gap of more than 1.5 characters inside."""
    garbage: int = 0
    """Frames that were not a valid request (CRC, length, function)."""
    framing: int = 0
    """Frames with a character the devices' UARTs could not read (parity or
    framing error): the master's baud or parity is not the line's."""
    broadcasts: int = 0


@dataclass(frozen=True)
class HeardFrame:
    """A valid request as it went over the wire (loop time of its first byte)."""

    start: float
    request: Request


class RtuLineSim:
    """Simulated devices (by unit id) on one RS-485 line behind a pty."""

    def __init__(
        self,
        devices: Mapping[int, ProfileDevice],
        timing: LineTiming,
        before_request: Callable[[], None] | None = None,
        on_frame: Callable[[HeardFrame], None] | None = None,
    ) -> None:
        self.devices = devices
        self.timing = timing
        self.on_frame = on_frame
        self.stats = LineStats()
        self.pair: PtyPair | None = None
        self._before = before_request
        self._loop: asyncio.AbstractEventLoop | None = None
        self._frame = bytearray()
        self._start = self._end = 0.0
        self._early = self._broken = False
        self._heard_at: asyncio.TimerHandle | None = None
        self._quiet_from = -math.inf
        self._speaker: int | None = None
        """The unit whose answer is (or was last) on the line; None: the master."""
        self._pending: dict[int, asyncio.TimerHandle] = {}
        self._next = 0
        self.settings = SerialSettings(timing.baud, timing.parity, timing.stopbits)
        """The line's own baud, parity and stop bits."""
        self._bad_chars = False
        self._told: SerialSettings | None = None

    @property
    def slave_path(self) -> str:
        """The serial device path a master opens."""
        if self.pair is None:
            raise RuntimeError("the line is not started")
        return self.pair.slave_path

    async def start(self) -> str:
        """Open the pty and listen; return the slave path."""
        self._loop = asyncio.get_running_loop()
        self.pair = open_pty_pair()
        self._loop.add_reader(self.pair.master_fd, self._readable)
        return self.pair.slave_path

    async def close(self) -> None:
        """Stop answering and close the pty."""
        for handle in [*self._pending.values(), self._heard_at]:
            if handle is not None:
                handle.cancel()
        if self.pair is not None and self._loop is not None:
            with contextlib.suppress(ValueError, OSError):
                self._loop.remove_reader(self.pair.master_fd)
            self.pair.close()

    def _readable(self) -> None:
        if self.pair is None or self._loop is None:
            return
        try:
            data = os.read(self.pair.master_fd, 4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return  # the slave side was closed and reopened
        if not data:
            return
        master = self.master_settings()
        if master != self.settings:
            got = hear(data, master, self.settings)
            data = got.data
            if not data:
                return
            if self._frame:
                self._bad_chars |= got.errors > 0
            else:
                self._bad_chars = got.errors > 0
        elif not self._frame:
            self._bad_chars = False
        now, t = self._loop.time(), self.timing
        if self._frame:
            self._broken |= now > self._end + t.t15_s
            self._end = max(self._end, now) + t.chars_s(len(data))
            self._frame += data
            if self._heard_at is not None:
                self._heard_at.cancel()
        else:
            self._frame = bytearray(data)
            self._start, self._end = now, now + t.chars_s(len(data))
            self._early = now < self._quiet_from + t.t35_s
            self._broken = False
        self._heard_at = self._loop.call_at(self._end + t.t35_s, self._heard)

    def _heard(self) -> None:
        """A frame ended (3.5 characters of silence): every device looks at it."""
        frame, self._frame = bytes(self._frame), bytearray()
        self._heard_at = None
        self._quiet_from = max(self._quiet_from, self._end)
        self.stats.frames += 1
        speaker, self._speaker = self._speaker, None
        if self._broken:
            self.stats.broken += 1
            return
        if self._bad_chars:
            self.stats.framing += 1
            return
        requests = RequestDecoder(Framing.RTU).feed(frame) if crc_ok(frame) else []
        if len(requests) != 1:
            self.stats.garbage += 1
            return
        request = requests[0]
        if self._early and request.unit != speaker:
            self.stats.early += 1
            return
        if self.on_frame is not None:
            self.on_frame(HeardFrame(self._start, request))
        if self._before is not None:
            self._before()
        if request.unit == 0:
            self._broadcast(request)
            return
        device = self.devices.get(request.unit)
        if device is None:
            self.stats.silent += 1
            return
        out = answer_faulty(device, request, Framing.RTU)
        if out is None:
            self.stats.silent += 1
            return
        self._answer(device, out)

    def _broadcast(self, request: Request) -> None:
        self.stats.broadcasts += 1
        if request.values is None:
            return  # a broadcast read is meaningless: nobody answers
        for device in self.devices.values():
            device.write(request.function, request.address, request.values)

    def _answer(self, device: ProfileDevice, frame: bytes) -> None:
        if self._loop is None:
            return
        t = self.timing
        turnaround = (device.turnaround_ms + device.faults.slow_ms) / 1000
        begin = max(self._end + t.t35_s + turnaround, self._quiet_from + t.t35_s)
        finish = begin + t.chars_s(len(frame))
        self._quiet_from = finish
        self._speaker = device.unit
        self._next += 1
        self._pending[self._next] = self._loop.call_at(
            finish, self._emit, self._next, frame
        )

    def master_settings(self) -> SerialSettings:
        """The baud, parity and stop bits the master set on its end of the pty.

        Unreadable ones (a custom baud, the pty closed) are taken to be the
        line's: the simulator then behaves as before it could see them.
        """
        seen = None
        if self.pair is not None and self.pair.slave_fd is not None:
            with contextlib.suppress(OSError):
                seen = serial_settings(self.pair.slave_fd)
        if seen is None:
            return self.settings
        if seen.parity != "O" and self.settings.parity != "O":
            seen = replace(seen, parity=self.settings.parity)  # even reads as none
        if seen != self.settings and seen != self._told:
            self._told = seen
            log.info(
                "master on %s set %s, the line is %s",
                self.pair.slave_path if self.pair else "?",
                seen.describe(),
                self.settings.describe(),
            )
        return seen

    def _emit(self, key: int, frame: bytes) -> None:
        self._pending.pop(key, None)
        if self.pair is None or self.pair.master_fd < 0:
            return
        master = self.master_settings()
        if master != self.settings:
            frame = hear(frame, self.settings, master).data
        with contextlib.suppress(OSError):
            os.write(self.pair.master_fd, frame)
            self.stats.answered += 1
