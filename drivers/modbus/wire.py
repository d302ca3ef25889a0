"""What a Modbus RTU line costs in time: characters, silences, frame sizes, CRC.

Pure arithmetic shared by the master (timeouts, the 3.5-character guard), the
simulator (a pty that takes as long as the wire) and the bus bench.

Bits per character are the bits really on the wire: 1 start + 8 data + 1 parity
bit if any + the stop bits, so 8E1, 8O1 and 8N2 take 11 bits and 8N1 takes 10.
The Modbus serial-line spec asks for 11 always; most meters and EVSE boards
ship with 8N1, and timing from the nominal 11 would be 10 % off on such a line.
Above 19200 baud the spec fixes t1.5 = 750 us and t3.5 = 1750 us.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

FIXED_T15_S = 0.000750
FIXED_T35_S = 0.001750
FIXED_ABOVE_BAUD = 19200
EXCEPTION_CHARS = 5
"""An exception response: address, function | 0x80, code, CRC (2)."""


@dataclass(frozen=True)
class LineTiming:
    """Character and silence times of one serial line."""

    baud: int
    parity: str = "N"
    stopbits: int = 1

    @property
    def bits_per_char(self) -> int:
        """Start bit, 8 data bits, the parity bit if any, the stop bits."""
        return 1 + 8 + (0 if self.parity == "N" else 1) + self.stopbits

    @property
    def char_s(self) -> float:
        """Seconds one character takes on the wire."""
        return self.bits_per_char / self.baud

    @property
    def t15_s(self) -> float:
        """Longest gap allowed inside a frame."""
        return FIXED_T15_S if self.baud > FIXED_ABOVE_BAUD else 1.5 * self.char_s

    @property
    def t35_s(self) -> float:
        """The silence that ends a frame (and must precede the next one)."""
        return FIXED_T35_S if self.baud > FIXED_ABOVE_BAUD else 3.5 * self.char_s

    def chars_s(self, chars: int) -> float:
        """Seconds ``chars`` characters take on the wire."""
        return chars * self.char_s

    def transaction_s(
        self, request_chars: int, response_chars: int, turnaround_s: float
    ) -> float:
        """A whole transaction: both frames, two t3.5 silences and the turnaround."""
        return (
            self.chars_s(request_chars + response_chars) + 2 * self.t35_s + turnaround_s
        )

    def describe(self) -> str:
        """`9600 8N1` style."""
        return f"{self.baud} 8{self.parity}{self.stopbits}"


def request_chars(function: int, count: int) -> int:
    """Characters of an RTU request frame (address and CRC included)."""
    if function == 15:
        return 9 + math.ceil(count / 8)
    if function == 16:
        return 9 + 2 * count
    return 8


def response_chars(function: int, count: int) -> int:
    """Characters of the normal RTU response to a request of ``count`` items."""
    if function in (1, 2):
        return 5 + math.ceil(count / 8)
    if function in (3, 4):
        return 5 + 2 * count
    return 8


def read_transaction_s(
    timing: LineTiming, function: int, count: int, turnaround_s: float
) -> float:
    """Wire time of one read of ``count`` registers (or bits)."""
    return timing.transaction_s(
        request_chars(function, count), response_chars(function, count), turnaround_s
    )


def crc16(data: bytes) -> int:
    """CRC-16/MODBUS (reflected 0x8005, init 0xFFFF); sent low byte first."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def with_crc(body: bytes) -> bytes:
    """``body`` followed by its CRC, low byte first."""
    crc = crc16(body)
    return body + bytes((crc & 0xFF, crc >> 8))


def crc_ok(frame: bytes) -> bool:
    """Whether a whole frame (CRC included) checks: the CRC over it all is 0."""
    return len(frame) >= 4 and crc16(frame) == 0


def expected_response_chars(frame: bytes, function: int, count: int) -> int | None:
    """How long the response starting ``frame`` will be, once its header is in.

    None while too few bytes have arrived to tell. An exception response is
    5 characters; any other answer has the length its request implies.
    """
    if len(frame) < 2:
        return None
    if frame[1] & 0x80:
        return EXCEPTION_CHARS
    return response_chars(function, count)
