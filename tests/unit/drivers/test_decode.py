"""Row decoding: sentinels, masks, bits, inversion, symbols and scale factors."""

from __future__ import annotations

import dataclasses

import pytest

from drivers.errors import DeviceFault
from drivers.modbus.coalesce import ReadBlock
from drivers.modbus.codec import ByteOrder, DataType, WordOrder
from drivers.modbus.decode import (
    decode_image,
    decode_row,
    encode_row,
    image_from_blocks,
)
from drivers.modbus.profile import Function, PollClass, RegisterSpec
from edge.model.measurement import Measurement

BASE = RegisterSpec(
    measurement=Measurement.POWER,
    function=Function.HOLDING,
    address=10,
    type=DataType.S16,
    word_order=WordOrder.BIG,
    byte_order=ByteOrder.BIG,
    scale=1.0,
    poll=PollClass.FAST,
)


def spec(**changes):
    return dataclasses.replace(BASE, **changes)


def test_scale_factor_multiplies_by_a_power_of_ten():
    row = spec(sf_address=20)
    assert decode_row(row, [2301], sf=-1) == pytest.approx(230.1)
    assert decode_row(row, [23], sf=2) == 2300.0
    assert decode_row(row, [5], sf=-32768) is None
    with pytest.raises(DeviceFault, match="scale factor"):
        decode_row(row, [5])


def test_not_available_sentinels_give_none():
    row = spec(type=DataType.S32, not_available=frozenset({0x7FFFFFFF}))
    assert decode_row(row, [0x7FFF, 0xFFFF]) is None
    assert decode_row(row, [0, 5]) == 5.0
    assert decode_row(spec(type=DataType.F32), [0x7FC0, 0]) is None  # NaN


def test_mask_keeps_the_ascii_letter_in_the_low_byte():
    row = spec(type=DataType.U16, mask=0xFF, values={0x41: "A", 0x43: "C"})
    assert decode_row(row, [0x0143]) == "C"
    with pytest.raises(DeviceFault, match="not one of"):
        decode_row(row, [0x0142])


def test_bit_and_inverted_rows():
    row = spec(type=DataType.U16, bit=2)
    assert decode_row(row, [0b100]) == 1.0
    assert decode_row(row, [0b011]) == 0.0
    nc = spec(type=DataType.BOOL, function=Function.DISCRETE_INPUTS, inverted=True)
    assert decode_row(nc, [1]) == 0.0
    assert encode_row(nc, 0.0) == [1]


def test_text_values_map_mode3_states():
    row = spec(type=DataType.STR, length=2, text_values={"B1": "B", "C2": "C"})
    assert decode_row(row, [0x4332, 0]) == "C"
    assert encode_row(row, "B") == [0x4231, 0]
    with pytest.raises(DeviceFault):
        decode_row(row, [0x4532, 0])


def test_encode_row_inverts_decode_row_with_a_scale_factor():
    row = spec(sf_address=20, scale=1000.0)
    assert decode_row(row, encode_row(row, 12300.0, sf=-1), sf=-1) == pytest.approx(
        12300.0
    )


def test_image_decoding_looks_up_scale_factors():
    row = spec(sf_address=12)
    image = image_from_blocks([ReadBlock(Function.HOLDING, 10, 3)], [[2301, 0, 0xFFFF]])
    assert decode_image([row], image) == [(row, pytest.approx(230.1))]
    with pytest.raises(DeviceFault, match="not read"):
        decode_image([spec(address=99)], image)
    with pytest.raises(DeviceFault, match="returned"):
        image_from_blocks([ReadBlock(Function.HOLDING, 10, 3)], [[1]])
