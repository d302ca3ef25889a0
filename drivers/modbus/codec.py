"""Pure decoding and encoding of Modbus register words by data type and word order.

Registers are 16-bit words. A value spanning several words is assembled in the
profile's word order: ``big`` puts the high word first (ABCD), ``little`` the low
word first (CDAB). ``byte_order`` swaps the two bytes inside each word when
``little`` (rare, some gateways).

Besides the usual integer and IEEE 754 types there are two decade-exponent
types (Iskra calls them T5 and T6): a 32-bit value whose top byte is a signed
power of ten and whose low 24 bits are the mantissa, unsigned (``u24e``) or
two's complement (``s24e``). ``0xFD01 0xE240`` is 123456 * 10**-3 = 123.456.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from enum import StrEnum


class DataType(StrEnum):
    """Register data types a profile can name."""

    U16 = "u16"
    S16 = "s16"
    U32 = "u32"
    S32 = "s32"
    U64 = "u64"
    S64 = "s64"
    F32 = "f32"
    F64 = "f64"
    U24E = "u24e"
    """Iskra T5: signed 8-bit decade exponent, unsigned 24-bit mantissa."""
    S24E = "s24e"
    """Iskra T6: signed 8-bit decade exponent, signed 24-bit mantissa."""
    STR = "str"
    BOOL = "bool"  # a coil or discrete input


class WordOrder(StrEnum):
    """Order of 16-bit words in a multi-word value."""

    BIG = "big"
    LITTLE = "little"


class ByteOrder(StrEnum):
    """Order of the two bytes inside one register."""

    BIG = "big"
    LITTLE = "little"


_WORDS = {
    DataType.U16: 1,
    DataType.S16: 1,
    DataType.U32: 2,
    DataType.S32: 2,
    DataType.U64: 4,
    DataType.S64: 4,
    DataType.F32: 2,
    DataType.F64: 4,
    DataType.U24E: 2,
    DataType.S24E: 2,
    DataType.BOOL: 1,
}
_STRUCT = {
    DataType.U16: ">H",
    DataType.S16: ">h",
    DataType.U32: ">I",
    DataType.S32: ">i",
    DataType.U64: ">Q",
    DataType.S64: ">q",
    DataType.F32: ">f",
    DataType.F64: ">d",
}


class CodecError(ValueError):
    """Registers that cannot be decoded as asked (wrong count, bad value)."""


def word_count(dtype: DataType, length: int | None = None) -> int:
    """Registers that one value of ``dtype`` occupies (``length`` for strings)."""
    if dtype is DataType.STR:
        if not length or length < 1:
            raise CodecError("a str register needs a length in registers")
        return length
    return _WORDS[dtype]


def _to_bytes(
    words: Sequence[int], word_order: WordOrder, byte_order: ByteOrder
) -> bytes:
    ordered = list(words) if word_order is WordOrder.BIG else list(reversed(words))
    out = bytearray()
    for w in ordered:
        if not 0 <= w <= 0xFFFF:
            raise CodecError(f"register value {w} is not a 16-bit word")
        hi, lo = w >> 8, w & 0xFF
        out += bytes((hi, lo)) if byte_order is ByteOrder.BIG else bytes((lo, hi))
    return bytes(out)


def _from_bytes(raw: bytes, word_order: WordOrder, byte_order: ByteOrder) -> list[int]:
    words = []
    for i in range(0, len(raw), 2):
        a, b = raw[i], raw[i + 1]
        words.append((a << 8) | b if byte_order is ByteOrder.BIG else (b << 8) | a)
    return words if word_order is WordOrder.BIG else list(reversed(words))


def decode(
    words: Sequence[int],
    dtype: DataType,
    word_order: WordOrder = WordOrder.BIG,
    byte_order: ByteOrder = ByteOrder.BIG,
) -> int | float | str:
    """Decode raw register words into a number (or text for ``str``)."""
    n = word_count(dtype, len(words) if dtype is DataType.STR else None)
    if len(words) != n:
        raise CodecError(f"{dtype} needs {n} registers, got {len(words)}")
    if dtype is DataType.BOOL:
        return int(bool(words[0]))
    raw = _to_bytes(words, word_order, byte_order)
    if dtype is DataType.STR:
        # Strings are byte streams: word order does not reverse them.
        raw = _to_bytes(words, WordOrder.BIG, byte_order)
        return raw.split(b"\x00", 1)[0].decode("ascii", errors="replace").strip()
    if dtype in (DataType.U24E, DataType.S24E):
        return _decode_decade(raw, signed=dtype is DataType.S24E)
    value: int | float = struct.unpack(_STRUCT[dtype], raw)[0]
    return value


def _decode_decade(raw: bytes, *, signed: bool) -> float:
    exponent = raw[0] - 256 if raw[0] > 127 else raw[0]
    mantissa = int.from_bytes(raw[1:], "big", signed=signed)
    if exponent < 0:
        return mantissa / float(10**-exponent)
    return mantissa * float(10**exponent)


def _encode_decade(value: float, *, signed: bool) -> bytes:
    if not math.isfinite(value):
        raise CodecError(f"cannot encode {value} with a decade exponent")
    low, high = (-(1 << 23), (1 << 23) - 1) if signed else (0, (1 << 24) - 1)
    if value < 0 and not signed:
        raise CodecError(f"{value} is negative: u24e cannot hold it")
    for exponent in range(-12, 128):
        mantissa = round(value * 10.0**-exponent)
        if low <= mantissa <= high:
            return struct.pack(">b", exponent) + mantissa.to_bytes(
                3, "big", signed=signed
            )
    raise CodecError(f"{value} is out of range for a 24-bit mantissa")


def encode(
    value: int | float | str,
    dtype: DataType,
    word_order: WordOrder = WordOrder.BIG,
    byte_order: ByteOrder = ByteOrder.BIG,
    length: int | None = None,
) -> list[int]:
    """Encode a value into register words (the inverse of :func:`decode`)."""
    if dtype is DataType.BOOL:
        return [1 if value else 0]
    if dtype is DataType.STR:
        n = word_count(dtype, length)
        data = str(value).encode("ascii")
        if len(data) > 2 * n:
            raise CodecError(f"text {value!r} does not fit {n} registers")
        return _from_bytes(data.ljust(2 * n, b"\x00"), WordOrder.BIG, byte_order)
    if dtype in (DataType.U24E, DataType.S24E):
        packed = _encode_decade(float(value), signed=dtype is DataType.S24E)
        return _from_bytes(packed, word_order, byte_order)
    fmt = _STRUCT[dtype]
    if dtype in (DataType.F32, DataType.F64):
        packed = struct.pack(fmt, float(value))
    else:
        if isinstance(value, float):
            if not math.isfinite(value):
                raise CodecError(f"cannot encode {value} as {dtype}")
            value = round(value)
        try:
            packed = struct.pack(fmt, int(value))
        except struct.error as exc:
            raise CodecError(f"{value} is out of range for {dtype}") from exc
    return _from_bytes(packed, word_order, byte_order)
