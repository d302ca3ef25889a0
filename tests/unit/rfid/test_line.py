"""Line reader framing: CR/LF variants, separators, every rejection."""

from __future__ import annotations

import pytest

from drivers.rfid.framing import FrameRead, FrameRejected, RejectReason
from drivers.rfid.framing.line import LineDecoder, decode_line, encode_line


@pytest.mark.parametrize("terminator", [b"\r\n", b"\r", b"\n"])
def test_each_terminator_delivers_on_its_first_byte(terminator: bytes) -> None:
    decoder = LineDecoder()
    assert decoder.feed(b"04a23b1c") == []
    assert decoder.feed(terminator[:1]) == [FrameRead("04A23B1C", b"04a23b1c")]
    assert decoder.feed(terminator[1:]) == []  # the LF of CRLF is a blank line


@pytest.mark.parametrize(
    "line",
    [b"04:A2:3B:1C", b"04-a2-3b-1c", b"04 A2 3B 1C", b"\x0204A23B1C\x03"],
)
def test_separators_and_stx_etx_are_stripped(line: bytes) -> None:
    assert decode_line(line) == FrameRead("04A23B1C", line)


def test_blank_lines_are_ignored() -> None:
    assert LineDecoder().feed(b"\r\n\n\r\x02\x03\n") == []


def test_non_hex_names_position_in_raw_line() -> None:
    assert decode_line(b"04A2 3x1C") == FrameRejected(
        RejectReason.NON_HEX, "non-hex character 'x' (0x78) at position 6", b"04A2 3x1C"
    )


def test_control_byte_is_shown_in_hex() -> None:
    event = decode_line(b"04\x00A2")
    assert isinstance(event, FrameRejected)
    assert event.message == "non-hex character 0x00 at position 2"


def test_odd_digit_count_is_bad_length() -> None:
    assert decode_line(b"04A23B1") == FrameRejected(
        RejectReason.BAD_LENGTH,
        "bad length: 7 hex digits, expected an even count (whole bytes)",
        b"04A23B1",
    )


def test_separators_only_is_bad_length() -> None:
    event = decode_line(b" : ")
    assert isinstance(event, FrameRejected)
    assert event.message == "bad length: no hex digits in line"


def test_overlong_line_is_reported_once_and_skipped_to_next_line() -> None:
    decoder = LineDecoder(max_line=8)
    events = decoder.feed(b"0123456789ABCDEF0123")
    assert events == [
        FrameRejected(
            RejectReason.OVERLONG_LINE,
            "overlong line: more than 8 bytes without CR/LF",
            b"012345678",
        )
    ]
    assert decoder.feed(b"4567\r\n04A23B1C\n") == [FrameRead("04A23B1C", b"04A23B1C")]


def test_byte_by_byte_equals_whole() -> None:
    stream = b"04A23B1C\r\nzz\r\n11223344556677\n"
    decoder = LineDecoder()
    split = [e for i in range(len(stream)) for e in decoder.feed(stream[i : i + 1])]
    assert split == LineDecoder().feed(stream)
    assert [getattr(e, "uid", None) for e in split] == [
        "04A23B1C",
        None,
        "11223344556677",
    ]


def test_encode_line() -> None:
    assert encode_line("04A23B1C") == b"04A23B1C\r\n"
    assert encode_line("04A23B1C", b"\n") == b"04A23B1C\n"
    with pytest.raises(ValueError, match="CR/LF"):
        encode_line("04\r")
    with pytest.raises(ValueError, match="terminator"):
        encode_line("04", b"\t")
    with pytest.raises(ValueError, match="max_line"):
        LineDecoder(max_line=0)
