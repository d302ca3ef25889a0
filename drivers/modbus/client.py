"""The one pymodbus importer: a Modbus master over TCP, RTU or RTU-over-TCP.

pymodbus frames, encodes and decodes; this module owns what it leaves open:

- the 3.5-character silence before every RTU request. pymodbus' async serial
  client writes a request the moment it is asked to (measured: the next request
  left ~0.2 ms after the previous answer; t3.5 is 4 ms at 9600 baud); without
  the silence every device on the line hears one long garbled frame;
- the answer timeout, per call: the device's allowance plus the wire time of
  both frames, enforced here (pymodbus' own timeout is only a backstop, so it
  never decides to drop a TCP gateway because one unit behind it is silent),
  and counted in time the master was awake (:mod:`drivers.modbus.awake`): a
  process starved past the deadline still reads the answer that came meanwhile;
- a silence of 3.5 characters after the port is opened, before the first
  request (the line has just been set up; an adapter may glitch it);
- CRC and framing errors, seen through pymodbus' ``trace_packet`` hook: a
  complete answer with a bad CRC fails the call at once (``FrameError``) and is
  never decoded into values; bytes that never became a frame are a framing
  error, not a plain timeout;
- every pymodbus exception is translated to :mod:`drivers.errors` here.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException
from pymodbus.framer import FramerType
from pymodbus.pdu import ModbusPDU

from drivers.errors import BusError, DeviceFault, DeviceTimeout
from drivers.modbus.awake import AwakeWait
from drivers.modbus.wire import (
    LineTiming,
    crc_ok,
    expected_response_chars,
    request_chars,
    response_chars,
)

log = logging.getLogger(__name__)
# pymodbus logs every timeout and garbled frame at ERROR; we count them instead.
logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

Transport = Literal["tcp", "rtu", "rtu-over-tcp"]
GATEWAY_CODES = (0x0A, 0x0B)
"""Gateway path unavailable / target failed to respond: the unit is silent."""
BACKSTOP_S = 10.0


class FrameError(DeviceTimeout):
    """An answer came but was garbled; nothing of it was used."""

    def __init__(self, message: str, kind: Literal["crc", "framing"]) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Endpoint:
    """Where a bus is and how to talk on it."""

    transport: Transport
    host: str | None = None
    port: int | None = None
    device: str | None = None
    baud: int = 9600
    parity: str = "N"
    stopbits: int = 1
    timeout_s: float = 0.3
    """What a device may take to answer, beyond the wire time of both frames."""
    retries: int = 1

    @property
    def line(self) -> LineTiming | None:
        """The serial line's timing (behind the gateway for RTU-over-TCP)."""
        if self.transport == "tcp":
            return None
        return LineTiming(self.baud, self.parity, self.stopbits)

    def describe(self) -> str:
        """`tcp://host:port`, `rtu+tcp://host:port` or `rtu:/dev/tty...@baud`."""
        if self.transport == "rtu":
            return f"rtu:{self.device}@{self.baud}"
        scheme = "tcp" if self.transport == "tcp" else "rtu+tcp"
        return f"{scheme}://{self.host}:{self.port}"


class ModbusClient:
    """One connection to one bus; callers serialise requests (see the scheduler)."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = ep = endpoint
        self.answer_timeout_s = ep.timeout_s
        self.last_latency_s = 0.0
        self._line = ep.line
        self._guard = ep.transport == "rtu"
        self._expect: tuple[int, int, int] | None = None
        self._rx = b""
        self._rx_at = self._tx_at = 0.0
        self._tx_chars = 0
        self._garbled: Literal["crc", "framing"] | None = None
        self._deadline: asyncio.Timeout | None = None
        self.last_stalled_s = 0.0
        """Loop stalls not counted against the last call's answer timeout."""
        self.last_starved = False
        """The last call's wait ended while the loop still stalled."""
        self._client: AsyncModbusTcpClient | AsyncModbusSerialClient
        if ep.transport == "rtu":
            self._client = AsyncModbusSerialClient(
                str(ep.device),
                framer=FramerType.RTU,
                baudrate=ep.baud,
                parity=ep.parity,
                stopbits=ep.stopbits,
                bytesize=8,
                timeout=BACKSTOP_S,
                retries=0,
                reconnect_delay=0,
                trace_packet=self._trace,
            )
        else:
            self._client = AsyncModbusTcpClient(
                str(ep.host),
                port=int(ep.port or 502),
                framer=FramerType.SOCKET if ep.transport == "tcp" else FramerType.RTU,
                timeout=max(2.0, 3 * ep.timeout_s),
                retries=0,
                reconnect_delay=0,
                trace_packet=self._trace,
            )

    @property
    def connected(self) -> bool:
        """Whether the transport is up."""
        return bool(self._client.connected)

    async def connect(self) -> None:
        """Open the port or connection; :class:`BusError` if that fails."""
        try:
            ok = await self._client.connect()
        except (OSError, ModbusException) as exc:
            raise BusError(f"cannot open {self.endpoint.describe()}: {exc}") from exc
        if not ok:
            raise BusError(f"cannot open {self.endpoint.describe()}")
        self._rx_at = asyncio.get_running_loop().time()  # quiet from here on

    def close(self) -> None:
        """Close the port or connection."""
        self._client.close()

    # ---- wire bookkeeping (pymodbus calls this for every packet) ---------------
    def _trace(self, sending: bool, data: bytes) -> bytes:
        now = asyncio.get_running_loop().time()
        if sending:
            self._tx_at, self._tx_chars, self._rx = now, len(data), b""
            return data
        self._rx_at, self._rx = now, data
        if self._expect is not None and self._line is not None:
            self._judge(data)
        return data

    def _judge(self, data: bytes) -> None:
        """Fail the call at once when a whole answer from our unit is garbled."""
        unit, function, count = self._expect or (0, 0, 0)
        if not data or data[0] != unit:
            return  # not (yet) our answer: a stray frame or noise
        size = expected_response_chars(data, function, count)
        if size is None or len(data) < size:
            return
        if not crc_ok(data[:size]):
            self._garbled = "crc"
        elif data[1] & 0x7F != function:
            self._garbled = "framing"
        if self._garbled is not None:
            self._expire()

    def _expire(self) -> None:
        """End the running call's wait now."""
        if self._deadline is not None and not self._deadline.expired():
            self._deadline.reschedule(asyncio.get_running_loop().time())

    async def silence(self) -> None:
        """Wait until the line has been quiet for 3.5 characters (RTU only)."""
        if not self._guard or self._line is None:
            return
        line = self._line
        quiet_from = max(self._rx_at, self._tx_at + line.chars_s(self._tx_chars))
        wait = quiet_from + line.t35_s - asyncio.get_running_loop().time()
        if wait > 0:
            await asyncio.sleep(wait)

    def _timeout_s(self, function: int, count: int) -> float:
        if self._line is None:
            return self.answer_timeout_s
        chars = request_chars(function, count) + response_chars(function, count)
        return self.answer_timeout_s + self._line.chars_s(chars) + 2 * self._line.t35_s

    def _no_answer(self, what: str, unit: int) -> DeviceTimeout:
        if self._garbled == "crc":
            return FrameError(f"unit {unit}: {what}: answer with a bad CRC", "crc")
        whole = len(self._rx) >= 4 and crc_ok(self._rx)
        if whole and self._rx[0] == unit:
            return DeviceTimeout(f"unit {unit}: answer to {what} came too late")
        if self._garbled == "framing" or (self._rx and not whole):
            return FrameError(
                f"unit {unit}: {what}: broken answer ({self._rx.hex(' ')})", "framing"
            )
        return DeviceTimeout(f"unit {unit}: no answer to {what}")

    async def _call(
        self,
        what: str,
        unit: int,
        shape: tuple[int, int],
        make: Callable[[], Awaitable[ModbusPDU]],
    ) -> ModbusPDU:
        if not self._client.connected:
            await self.connect()
        await self.silence()
        function, count = shape
        self._expect, self._garbled, self._rx = (unit, function, count), None, b""
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        wait = AwakeWait(self._timeout_s(function, count), self._expire)
        try:
            async with asyncio.timeout(None) as deadline:
                self._deadline = deadline
                wait.start()
                reply = await make()
        except TimeoutError as exc:
            raise self._no_answer(what, unit) from exc
        except ConnectionException as exc:
            raise BusError(
                f"{self.endpoint.describe()}: connection lost ({exc})"
            ) from exc
        except ModbusException as exc:
            raise DeviceTimeout(f"unit {unit}: {what} failed: {exc}") from exc
        finally:
            wait.cancel()
            self._deadline, self._expect = None, None
            self.last_latency_s = loop.time() - t0
            self.last_stalled_s, self.last_starved = wait.stalled_s, wait.starved
        if reply.isError():
            code = int(getattr(reply, "exception_code", 0))
            if code in GATEWAY_CODES:
                raise DeviceTimeout(f"unit {unit}: gateway says silent ({code})")
            raise DeviceFault(f"unit {unit}: {what} answered exception {code}", code)
        if reply.function_code != function:
            raise FrameError(
                f"unit {unit}: {what}: answer to another request", "framing"
            )
        return reply

    async def read(
        self, unit: int, function: int, address: int, count: int
    ) -> list[int]:
        """Read registers (FC 3/4) or bits (FC 1/2, returned as 0/1)."""
        c = self._client
        calls: dict[int, Callable[[], Awaitable[ModbusPDU]]] = {
            1: lambda: c.read_coils(address, count=count, device_id=unit),
            2: lambda: c.read_discrete_inputs(address, count=count, device_id=unit),
            3: lambda: c.read_holding_registers(address, count=count, device_id=unit),
            4: lambda: c.read_input_registers(address, count=count, device_id=unit),
        }
        if function not in calls:
            raise DeviceFault(f"function {function} is not a read")
        what = f"read FC{function} {address}+{count}"
        reply = await self._call(what, unit, (function, count), calls[function])
        if function in (1, 2):
            return [1 if b else 0 for b in reply.bits[:count]]
        registers = list(reply.registers)
        if len(registers) != count:
            raise FrameError(
                f"unit {unit}: {what} returned {len(registers)} registers", "framing"
            )
        return registers

    async def write_registers(
        self, unit: int, address: int, values: list[int], function: int = 16
    ) -> None:
        """Write registers with FC16 (or FC6 for a single register)."""
        what = f"write FC{function} {address}={values}"
        c = self._client
        if function == 6:
            await self._call(
                what,
                unit,
                (6, 1),
                lambda: c.write_register(address, values[0], device_id=unit),
            )
        else:
            await self._call(
                what,
                unit,
                (16, len(values)),
                lambda: c.write_registers(address, values, device_id=unit),
            )

    async def write_coil(self, unit: int, address: int, on: bool) -> None:
        """Write one coil with FC5."""
        await self._call(
            f"write coil {address}={on}",
            unit,
            (5, 1),
            lambda: self._client.write_coil(address, on, device_id=unit),
        )
