"""RDM6300 framing: the worked example, checksums by hand, every rejection, resync."""

from __future__ import annotations

import pytest

from drivers.rfid.framing import FrameEvent, FrameRead, FrameRejected, RejectReason
from drivers.rfid.framing.rdm6300 import (
    Rdm6300Decoder,
    decode_rdm6300_frame,
    encode_rdm6300,
    rdm6300_checksum,
)

# rfid.md §1 worked example, byte for byte
EXAMPLE = bytes.fromhex("02 36 32 45 33 30 38 36 43 45 44 30 38 03")


def feed_bytewise(data: bytes) -> list[FrameEvent]:
    decoder = Rdm6300Decoder()
    events: list[FrameEvent] = []
    for i in range(len(data)):
        events += decoder.feed(data[i : i + 1])
    return events


def test_worked_example_encodes_and_decodes() -> None:
    assert encode_rdm6300("62E3086CED") == EXAMPLE
    assert Rdm6300Decoder().feed(EXAMPLE) == [FrameRead("62E3086CED", EXAMPLE)]


@pytest.mark.parametrize(
    ("data", "checksum"),
    [
        ("62E3086CED", 0x08),  # 62^E3=81, ^08=89, ^6C=E5, ^ED=08
        ("0000000000", 0x00),
        ("FF00000000", 0xFF),  # the version byte counts too
        ("0102040810", 0x1F),
        ("1A2B3C4D5E", 0x1A ^ 0x2B ^ 0x3C ^ 0x4D ^ 0x5E),
    ],
)
def test_checksum_is_xor_of_all_five_bytes(data: str, checksum: int) -> None:
    assert rdm6300_checksum(bytes.fromhex(data)) == checksum
    assert encode_rdm6300(data)[11:13] == f"{checksum:02X}".encode()


def test_checksum_over_bytes_1_to_4_only_is_rejected() -> None:
    # the known bug in the wild: XOR skipping the version byte (0x62) gives 0x6A
    frame = b"\x0262E3086CED6A\x03"
    (event,) = Rdm6300Decoder().feed(frame)
    assert isinstance(event, FrameRejected)
    assert event.reason is RejectReason.BAD_CHECKSUM
    assert event.message == (
        "bad checksum: expected 0x08 (XOR of the 5 data bytes), got 0x6A"
    )
    assert event.raw == frame


def test_lower_case_is_accepted_and_normalised() -> None:
    (event,) = Rdm6300Decoder().feed(b"\x0262e3086ced08\x03")
    assert event == FrameRead("62E3086CED", b"\x0262e3086ced08\x03")


def test_split_byte_by_byte_gives_the_same_events() -> None:
    stream = b"zz" + EXAMPLE + b"\x0262E3\x03" + EXAMPLE
    assert feed_bytewise(stream) == Rdm6300Decoder().feed(stream)
    assert [type(e).__name__ for e in feed_bytewise(stream)] == [
        "FrameRejected",
        "FrameRead",
        "FrameRejected",
        "FrameRead",
    ]


def test_garbage_before_a_frame_is_reported_once_then_resync() -> None:
    events = Rdm6300Decoder().feed(b"\xff\x00ab" + EXAMPLE)
    assert events[0] == FrameRejected(
        RejectReason.GARBAGE,
        "garbage: 4 byte(s) outside any frame (no STX 0x02)",
        b"\xff\x00ab",
    )
    assert events[1] == FrameRead("62E3086CED", EXAMPLE)


def test_endless_garbage_is_bounded() -> None:
    decoder = Rdm6300Decoder()
    events = decoder.feed(b"x" * 200)
    assert [len(e.raw) for e in events] == [64, 64, 64]
    assert decoder.feed(EXAMPLE)[-1] == FrameRead("62E3086CED", EXAMPLE)


def test_non_hex_character_names_its_position() -> None:
    frame = b"\x0262E3086CGD08\x03"
    (event,) = Rdm6300Decoder().feed(frame)
    assert event == FrameRejected(
        RejectReason.NON_HEX, "non-hex character 'G' (0x47) at position 9", frame
    )


def test_non_hex_in_checksum_position() -> None:
    (event,) = Rdm6300Decoder().feed(b"\x0262E3086CED0\x7f\x03")
    assert isinstance(event, FrameRejected)
    assert event.message == "non-hex character 0x7F at position 12"


def test_early_etx_is_bad_length_and_its_tail_is_not_double_counted() -> None:
    # noise turned '0' into ETX: the rest of that frame must not count as garbage
    events = Rdm6300Decoder().feed(b"\x0262E3\x03086CED08\x03" + EXAMPLE)
    assert events == [
        FrameRejected(
            RejectReason.BAD_LENGTH,
            "bad length: frame cut short by ETX at position 5,"
            " expected 14 bytes STX..ETX",
            b"\x0262E3\x03",
        ),
        FrameRead("62E3086CED", EXAMPLE),
    ]


def test_new_stx_inside_a_frame_restarts_on_it() -> None:
    events = Rdm6300Decoder().feed(b"\x0262E30" + EXAMPLE)
    assert events[0].reason is RejectReason.BAD_LENGTH  # type: ignore[union-attr]
    assert "STX at position 6" in str(events[0])
    assert events[0].raw == b"\x0262E30"
    assert events[1] == FrameRead("62E3086CED", EXAMPLE)


def test_missing_etx_is_rejected_and_a_following_stx_starts_the_next_frame() -> None:
    events = Rdm6300Decoder().feed(EXAMPLE[:13] + EXAMPLE)
    assert events[0] == FrameRejected(
        RejectReason.MISSING_ETX,
        "missing ETX: byte at position 13 is 0x02, expected 0x03",
        EXAMPLE[:13] + b"\x02",
    )
    # the STX at position 13 opened the next frame, which is whole
    assert events[1:] == [FrameRead("62E3086CED", EXAMPLE)]


def test_missing_etx_with_other_byte() -> None:
    (event,) = Rdm6300Decoder().feed(EXAMPLE[:13] + b"A")
    assert event.reason is RejectReason.MISSING_ETX  # type: ignore[union-attr]
    assert "is 'A' (0x41)" in str(event)


def test_decode_frame_of_wrong_size() -> None:
    event = decode_rdm6300_frame(EXAMPLE[:-2] + b"\x03")
    assert event == FrameRejected(
        RejectReason.BAD_LENGTH,
        "bad length: 13 bytes, expected 14 bytes STX..ETX",
        EXAMPLE[:-2] + b"\x03",
    )


@pytest.mark.parametrize("uid", ["62E3086CE", "62E3086CEDA", "62E3086CEG", ""])
def test_encode_rejects_bad_uids(uid: str) -> None:
    with pytest.raises(ValueError, match="10 hex characters"):
        encode_rdm6300(uid)
