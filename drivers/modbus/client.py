"""The one pymodbus importer: a Modbus master over TCP, RTU or RTU-over-TCP.

pymodbus' own retries are off (the bus scheduler decides what to retry) and every
pymodbus exception is translated to :mod:`drivers.errors` here, so that nothing
from pymodbus reaches the rest of the controller.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException
from pymodbus.framer import FramerType
from pymodbus.pdu import ModbusPDU

from drivers.errors import BusError, DeviceFault, DeviceTimeout

log = logging.getLogger(__name__)
# pymodbus logs every timeout and garbled frame at ERROR; we count them instead.
logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

Transport = Literal["tcp", "rtu", "rtu-over-tcp"]


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

    def describe(self) -> str:
        """`tcp://host:port` or `rtu:/dev/tty...@baud`."""
        if self.transport == "rtu":
            return f"rtu:{self.device}@{self.baud}"
        scheme = "tcp" if self.transport == "tcp" else "rtu+tcp"
        return f"{scheme}://{self.host}:{self.port}"


class ModbusClient:
    """One connection to one bus; callers serialise requests (see the scheduler)."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        ep = endpoint
        self._client: AsyncModbusTcpClient | AsyncModbusSerialClient
        if ep.transport == "rtu":
            self._client = AsyncModbusSerialClient(
                str(ep.device),
                framer=FramerType.RTU,
                baudrate=ep.baud,
                parity=ep.parity,
                stopbits=ep.stopbits,
                bytesize=8,
                timeout=ep.timeout_s,
                retries=0,
                reconnect_delay=0,
            )
        else:
            self._client = AsyncModbusTcpClient(
                str(ep.host),
                port=int(ep.port or 502),
                framer=FramerType.SOCKET if ep.transport == "tcp" else FramerType.RTU,
                timeout=ep.timeout_s,
                retries=0,
                reconnect_delay=0,
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

    def close(self) -> None:
        """Close the port or connection."""
        self._client.close()

    async def _call(
        self, what: str, unit: int, make: Callable[[], Awaitable[ModbusPDU]]
    ) -> ModbusPDU:
        if not self._client.connected:
            await self.connect()
        try:
            reply = await make()
        except ConnectionException as exc:
            raise BusError(
                f"{self.endpoint.describe()}: connection lost ({exc})"
            ) from exc
        except ModbusIOException as exc:
            raise DeviceTimeout(f"unit {unit}: no valid answer to {what}") from exc
        except (TimeoutError, ModbusException) as exc:
            raise DeviceTimeout(f"unit {unit}: {what} failed: {exc}") from exc
        if reply.isError():
            code = int(getattr(reply, "exception_code", 0))
            raise DeviceFault(f"unit {unit}: {what} answered exception {code}", code)
        return reply

    async def read(
        self, unit: int, function: int, address: int, count: int
    ) -> list[int]:
        """Read registers (FC 3/4) or bits (FC 1/2, returned as 0/1)."""
        c = self._client
        what = f"read FC{function} {address}+{count}"
        if function == 3:
            reply = await self._call(
                what,
                unit,
                lambda: c.read_holding_registers(address, count=count, device_id=unit),
            )
        elif function == 4:
            reply = await self._call(
                what,
                unit,
                lambda: c.read_input_registers(address, count=count, device_id=unit),
            )
        elif function == 1:
            reply = await self._call(
                what, unit, lambda: c.read_coils(address, count=count, device_id=unit)
            )
            return [1 if b else 0 for b in reply.bits[:count]]
        elif function == 2:
            reply = await self._call(
                what,
                unit,
                lambda: c.read_discrete_inputs(address, count=count, device_id=unit),
            )
            return [1 if b else 0 for b in reply.bits[:count]]
        else:
            raise DeviceFault(f"function {function} is not a read")
        registers = list(reply.registers)
        if len(registers) != count:
            raise DeviceFault(
                f"unit {unit}: {what} returned {len(registers)} registers"
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
                what, unit, lambda: c.write_register(address, values[0], device_id=unit)
            )
        else:
            await self._call(
                what, unit, lambda: c.write_registers(address, values, device_id=unit)
            )

    async def write_coil(self, unit: int, address: int, on: bool) -> None:
        """Write one coil with FC5."""
        await self._call(
            f"write coil {address}={on}",
            unit,
            lambda: self._client.write_coil(address, on, device_id=unit),
        )
