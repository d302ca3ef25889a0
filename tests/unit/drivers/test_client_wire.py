"""Wire arithmetic: bits per character, silences, frame sizes, CRC vectors."""

from __future__ import annotations

import pytest

from drivers.modbus.wire import (
    LineTiming,
    crc16,
    crc_ok,
    expected_response_chars,
    read_transaction_s,
    request_chars,
    response_chars,
    with_crc,
)


@pytest.mark.parametrize(
    ("parity", "stopbits", "bits"),
    [("N", 1, 10), ("E", 1, 11), ("O", 1, 11), ("N", 2, 11), ("E", 2, 12)],
)
def test_bits_per_char_count_what_is_on_the_wire(parity, stopbits, bits):
    assert LineTiming(9600, parity, stopbits).bits_per_char == bits


def test_silences_follow_the_baud_up_to_19200_then_are_fixed():
    assert LineTiming(9600, "E").t35_s == pytest.approx(0.004010, abs=1e-6)
    assert LineTiming(9600, "N").t35_s == pytest.approx(0.003646, abs=1e-6)
    assert LineTiming(19200, "E").t35_s == pytest.approx(0.002005, abs=1e-6)
    assert LineTiming(19200, "E").t15_s == pytest.approx(0.000859, abs=1e-6)
    for baud in (38400, 115200):
        assert LineTiming(baud).t35_s == 0.00175
        assert LineTiming(baud).t15_s == 0.00075


def test_frame_sizes():
    assert request_chars(3, 10) == 8
    assert request_chars(16, 3) == 15
    assert request_chars(15, 10) == 11
    assert response_chars(4, 80) == 165
    assert response_chars(1, 9) == 7
    assert response_chars(16, 3) == 8
    assert expected_response_chars(b"\x01", 4, 2) is None
    assert expected_response_chars(b"\x01\x84", 4, 2) == 5
    assert expected_response_chars(b"\x01\x04", 4, 2) == 9


def test_reference_wire_times():
    # modbus-rtu-timing.md section 6: SDM630 80 registers at 9600 8N1 = 187.5 ms
    t = read_transaction_s(LineTiming(9600, "N"), 4, 80, 0.0)
    assert t * 1000 == pytest.approx(187.5, abs=0.1)
    t = read_transaction_s(LineTiming(9600, "E"), 4, 80, 0.0)
    assert t * 1000 == pytest.approx(206.3, abs=0.1)
    t = read_transaction_s(LineTiming(38400, "N"), 4, 2, 0.0)
    assert t * 1000 == pytest.approx(7.9, abs=0.05)


@pytest.mark.parametrize(
    ("body", "wire"),
    [
        ("01030000000A", "C5CD"),
        ("010400000002", "71CB"),
        ("010400480002", "F1DD"),
        ("010303E80009", "05BC"),
        ("010307D00012", "C54A"),
    ],
)
def test_crc_vectors_from_the_reference(body, wire):
    frame = with_crc(bytes.fromhex(body))
    assert frame[-2:].hex().upper() == wire
    assert crc_ok(frame)
    assert not crc_ok(frame[:-1] + bytes([frame[-1] ^ 1]))


def test_crc_check_value():
    assert crc16(b"123456789") == 0x4B37
    assert not crc_ok(b"\x01\x02")
