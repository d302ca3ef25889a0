"""What a UART hears when the sender's line settings are not its own (pure).

A serial line is one wire: the sender clocks out, per byte, a start bit (0), the
data bits (least significant first), the parity bit if any and the stop bits
(1), and the wire idles at 1. The receiver waits for a falling edge, then samples
the middle of each bit at *its own* baud and checks *its own* parity and first
stop bit (a UART checks one stop bit, so 8N2 and 8N1 understand each other).
:func:`hear` does exactly that, so a master at 19200 on a 9600 line, or at even
parity on a no-parity line, gets what a real receiver would: other bytes, fewer
or more of them, and parity or framing errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class SerialSettings:
    """Baud, data bits, parity (``N``, ``E``, ``O``) and stop bits of one end."""

    baud: int
    parity: str = "N"
    stopbits: int = 1
    bytesize: int = 8

    def describe(self) -> str:
        """`9600 8N1` style."""
        return f"{self.baud} {self.bytesize}{self.parity}{self.stopbits}"


@dataclass(frozen=True)
class Heard:
    """The bytes a receiver got, and how many had a parity or framing error."""

    data: bytes
    errors: int


def _parity_bit(value: int, parity: str) -> int:
    ones = bin(value).count("1")
    return ones % 2 if parity == "E" else 1 - ones % 2


def wire_bits(data: bytes, sent: SerialSettings) -> list[int]:
    """The levels of ``data`` on the wire, one per bit time, back to back."""
    bits: list[int] = []
    mask = (1 << sent.bytesize) - 1
    for byte in data:
        value = byte & mask
        bits.append(0)
        bits.extend((value >> n) & 1 for n in range(sent.bytesize))
        if sent.parity != "N":
            bits.append(_parity_bit(value, sent.parity))
        bits.extend([1] * sent.stopbits)
    return bits


def hear(data: bytes, sent: SerialSettings, heard: SerialSettings) -> Heard:
    """What a receiver at ``heard`` reads from ``data`` sent at ``sent``."""
    if sent == heard:
        return Heard(data, 0)
    bits = wire_bits(data, sent)
    # time in the sender's bit times, exact: no rounding can stall the hunt
    t_heard = Fraction(sent.baud, heard.baud)
    half = t_heard / 2

    def level(t: Fraction) -> int:
        n = math.floor(t)
        return bits[n] if 0 <= n < len(bits) else 1

    def next_index(t: Fraction, want: int) -> int:
        n = math.floor(t)
        while n < len(bits) and bits[n] != want:
            n += 1
        return n

    out = bytearray()
    errors = 0
    cursor = Fraction(0)
    frame_bits = 1 + heard.bytesize + (heard.parity != "N")
    while (n := next_index(cursor, 0)) < len(bits):
        edge = max(cursor, Fraction(n))
        if level(edge + half) != 0:  # a glitch, not a start bit
            cursor = Fraction(n + 1)
            continue
        samples = [level(edge + k * t_heard + half) for k in range(frame_bits + 1)]
        value = sum(b << k for k, b in enumerate(samples[1 : 1 + heard.bytesize]))
        bad = samples[frame_bits] != 1  # the first stop bit
        if heard.parity != "N":
            bad |= samples[1 + heard.bytesize] != _parity_bit(value, heard.parity)
        out.append(value)
        errors += bad
        cursor = edge + frame_bits * t_heard + half  # hunt from mid stop bit
        if samples[frame_bits] == 0:  # a framing error: wait for the line to rise
            cursor = max(cursor, Fraction(next_index(cursor, 1)))
    return Heard(bytes(out), errors)
