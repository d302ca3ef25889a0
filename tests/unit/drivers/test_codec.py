"""Codec: known encodings and Hypothesis round-trips for every type and order."""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.modbus.codec import (
    ByteOrder,
    CodecError,
    DataType,
    WordOrder,
    decode,
    encode,
    word_count,
)

INT_RANGES = {
    DataType.U16: (0, 2**16 - 1),
    DataType.S16: (-(2**15), 2**15 - 1),
    DataType.U32: (0, 2**32 - 1),
    DataType.S32: (-(2**31), 2**31 - 1),
    DataType.U64: (0, 2**64 - 1),
    DataType.S64: (-(2**63), 2**63 - 1),
}
orders = st.sampled_from(list(WordOrder))
byte_orders = st.sampled_from(list(ByteOrder))


def test_known_float_encoding_from_the_eastron_manual():
    assert decode([0x4366, 0x0000], DataType.F32) == 230.0
    assert encode(230.0, DataType.F32) == [0x4366, 0x0000]


def test_low_word_first_int32_as_carlo_gavazzi_sends_it():
    # 2301 = 0x000008FD, low word first
    assert decode([0x08FD, 0x0000], DataType.S32, WordOrder.LITTLE) == 2301
    assert decode([0xFFFF, 0xFFFF], DataType.S32, WordOrder.LITTLE) == -1


def test_iskra_decade_exponent_examples():
    assert decode([0xFD01, 0xE240], DataType.U24E) == pytest.approx(123.456)
    assert decode([0xFDFE, 0x1DC0], DataType.S24E) == pytest.approx(-123.456)
    assert decode([0x0200, 0x0005], DataType.U24E) == 500.0


def test_byte_order_little_swaps_bytes_inside_each_word():
    assert decode([0x6643, 0x0000], DataType.F32, byte_order=ByteOrder.LITTLE) == 230.0


def test_strings_ignore_word_order_and_stop_at_nul():
    words = encode("B23 ", DataType.STR, length=4)
    assert words == [0x4232, 0x3320, 0, 0]
    assert decode(words, DataType.STR, WordOrder.LITTLE) == "B23"


def test_wrong_word_count_is_an_error():
    with pytest.raises(CodecError):
        decode([1], DataType.U32)


def test_out_of_range_and_bad_values_are_errors():
    with pytest.raises(CodecError):
        encode(70000, DataType.U16)
    with pytest.raises(CodecError):
        encode(-1.0, DataType.U24E)
    with pytest.raises(CodecError):
        encode(1e200, DataType.U24E)
    with pytest.raises(CodecError):
        encode(math.inf, DataType.S32)
    with pytest.raises(CodecError):
        decode([0x10000], DataType.U16)
    with pytest.raises(CodecError):
        word_count(DataType.STR)


@pytest.mark.parametrize("dtype", list(INT_RANGES))
@given(data=st.data(), order=orders, byte_order=byte_orders)
def test_integers_round_trip(dtype, data, order, byte_order):
    lo, hi = INT_RANGES[dtype]
    value = data.draw(st.integers(lo, hi))
    words = encode(value, dtype, order, byte_order)
    assert len(words) == word_count(dtype)
    assert all(0 <= w <= 0xFFFF for w in words)
    assert decode(words, dtype, order, byte_order) == value


@given(value=st.floats(width=32, allow_nan=False), order=orders, byte_order=byte_orders)
def test_f32_round_trips(value, order, byte_order):
    assert (
        decode(
            encode(value, DataType.F32, order, byte_order),
            DataType.F32,
            order,
            byte_order,
        )
        == value
    )


@given(value=st.floats(allow_nan=False), order=orders, byte_order=byte_orders)
def test_f64_round_trips(value, order, byte_order):
    assert (
        decode(
            encode(value, DataType.F64, order, byte_order),
            DataType.F64,
            order,
            byte_order,
        )
        == value
    )


@given(words=st.lists(st.integers(0, 0xFFFF), min_size=2, max_size=2), order=orders)
def test_f32_decode_matches_ieee754_by_hand(words, order):
    ordered = words if order is WordOrder.BIG else words[::-1]
    expected = struct.unpack(">f", struct.pack(">HH", *ordered))[0]
    got = decode(words, DataType.F32, order)
    assert got == expected or (math.isnan(got) and math.isnan(expected))


@pytest.mark.parametrize("dtype", [DataType.U24E, DataType.S24E])
@given(data=st.data(), order=orders, byte_order=byte_orders)
def test_decade_types_round_trip_their_mantissa(dtype, data, order, byte_order):
    low = -(2**23) if dtype is DataType.S24E else 0
    mantissa = data.draw(st.integers(low, 2**23 - 1))
    exponent = data.draw(st.integers(-6, 6))
    value = mantissa * 10.0**exponent
    back = decode(encode(value, dtype, order, byte_order), dtype, order, byte_order)
    assert back == pytest.approx(value, rel=1e-6, abs=1e-9)


@given(
    text=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=8),
    byte_order=byte_orders,
)
def test_strings_round_trip(text, byte_order):
    words = encode(text, DataType.STR, byte_order=byte_order, length=4)
    assert decode(words, DataType.STR, byte_order=byte_order) == text


@given(bit=st.booleans())
def test_bools_round_trip(bit):
    assert decode(encode(bit, DataType.BOOL), DataType.BOOL) == int(bit)
