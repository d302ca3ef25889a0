"""Modbus frames for the simulator, built and parsed by pymodbus.

This is the simulator's only pymodbus importer. The simulator runs its own
transport (so that it can keep wire timing and inject faults) and uses pymodbus
only for what it is good at: frame layout, CRC, PDU encoding.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pymodbus.exceptions import ModbusException
from pymodbus.framer import FramerRTU, FramerSocket
from pymodbus.pdu import DecodePDU, ExceptionResponse, ModbusPDU
from pymodbus.pdu.bit_message import (
    ReadCoilsResponse,
    ReadDiscreteInputsResponse,
    WriteMultipleCoilsResponse,
    WriteSingleCoilResponse,
)
from pymodbus.pdu.register_message import (
    ReadHoldingRegistersResponse,
    ReadInputRegistersResponse,
    WriteMultipleRegistersResponse,
    WriteSingleRegisterResponse,
)


class Framing(StrEnum):
    """How frames are delimited on a transport."""

    TCP = "tcp"  # MBAP header
    RTU = "rtu"  # address + PDU + CRC, delimited by silence


@dataclass(frozen=True)
class Request:
    """A decoded request from the master."""

    unit: int
    tid: int
    function: int
    address: int
    count: int
    values: tuple[int, ...] | None = None
    """Values to write (registers, or 0/1 for coils); None for reads."""


Reply = list[int] | int | None
"""Registers/bits read, an exception code (int), or None for a write's echo."""


class RequestDecoder:
    """Incremental request decoder for one connection or serial line."""

    def __init__(self, framing: Framing) -> None:
        decoder = DecodePDU(is_server=True)
        self._framer = (
            FramerSocket(decoder) if framing is Framing.TCP else FramerRTU(decoder)
        )
        self._buffer = b""
        self.garbage_frames = 0

    def feed(self, data: bytes) -> list[Request]:
        """Add bytes; return every complete request found."""
        self._buffer += data
        requests: list[Request] = []
        while self._buffer:
            try:
                used, pdu = self._framer.handleFrame(self._buffer, 0, 0)
            except (ModbusException, ValueError):
                self.garbage_frames += 1
                self._buffer = b""
                break
            if used == 0:
                break
            self._buffer = self._buffer[used:]
            if pdu is None:
                if used:
                    self.garbage_frames += 1
                continue
            requests.append(_request(pdu))
        return requests

    def reset(self) -> None:
        """Drop a partial frame (RTU: after a silence of 3.5 characters)."""
        self._buffer = b""


def _request(pdu: ModbusPDU) -> Request:
    values: tuple[int, ...] | None = None
    fc = pdu.function_code
    if fc == 5:
        values = (1 if pdu.bits and pdu.bits[0] else 0,)
    elif fc == 15:
        values = tuple(1 if b else 0 for b in pdu.bits[: pdu.count])
    elif fc in (6, 16):
        values = tuple(int(r) for r in pdu.registers)
    return Request(pdu.dev_id, pdu.transaction_id, fc, pdu.address, pdu.count, values)


_READ_RESPONSES: dict[int, type[ModbusPDU]] = {
    1: ReadCoilsResponse,
    2: ReadDiscreteInputsResponse,
    3: ReadHoldingRegistersResponse,
    4: ReadInputRegistersResponse,
}


def encode_reply(framing: Framing, request: Request, reply: Reply) -> bytes:
    """Build the response frame to ``request``."""
    unit, tid = request.unit, request.tid
    pdu: ModbusPDU
    if isinstance(reply, int):
        pdu = ExceptionResponse(
            request.function, reply, device_id=request.unit, transaction=request.tid
        )
    elif request.function in (1, 2):
        pdu = _READ_RESPONSES[request.function](
            bits=[bool(b) for b in reply or []], dev_id=unit, transaction_id=tid
        )
    elif request.function in (3, 4):
        pdu = _READ_RESPONSES[request.function](
            registers=list(reply or []), dev_id=unit, transaction_id=tid
        )
    elif request.function == 5:
        on = bool(request.values and request.values[0])
        pdu = WriteSingleCoilResponse(
            address=request.address, bits=[on], dev_id=unit, transaction_id=tid
        )
    elif request.function == 6:
        pdu = WriteSingleRegisterResponse(
            address=request.address,
            registers=list(request.values or ()),
            dev_id=unit,
            transaction_id=tid,
        )
    elif request.function == 15:
        pdu = WriteMultipleCoilsResponse(
            address=request.address,
            count=request.count,
            dev_id=unit,
            transaction_id=tid,
        )
    elif request.function == 16:
        pdu = WriteMultipleRegistersResponse(
            address=request.address,
            count=request.count,
            dev_id=unit,
            transaction_id=tid,
        )
    else:
        pdu = ExceptionResponse(
            request.function, 1, device_id=request.unit, transaction=request.tid
        )
    framer = FramerSocket if framing is Framing.TCP else FramerRTU
    return framer(DecodePDU(is_server=False)).buildFrame(pdu)
