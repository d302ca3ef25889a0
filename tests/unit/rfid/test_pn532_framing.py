"""PN532 frames: the rfid.md frame table byte for byte, parsing, every rejection."""

from __future__ import annotations

import pytest

from drivers.rfid.framing import FrameRejected, RejectReason
from drivers.rfid.framing import pn532 as p

H = bytes.fromhex

# rfid.md §2 frame table (checksums recomputed by hand: LEN+LCS and TFI+ΣPD+DCS ≡ 0)
TABLE = [
    (p.TFI_HOST, H("02"), H("00 00 FF 02 FE D4 02 2A 00")),
    (p.TFI_PN532, H("03 32 01 06 07"), H("00 00 FF 06 FA D5 03 32 01 06 07 E8 00")),
    (p.TFI_HOST, H("14 01 14 01"), H("00 00 FF 05 FB D4 14 01 14 01 02 00")),
    (p.TFI_HOST, H("32 05 FF 01 10"), H("00 00 FF 06 FA D4 32 05 FF 01 10 E5 00")),
    (p.TFI_HOST, H("4A 01 00"), H("00 00 FF 04 FC D4 4A 01 00 E1 00")),
    (
        p.TFI_PN532,
        H("4B 01 01 00 04 08 04 04 A2 3B 1C"),
        H("00 00 FF 0C F4 D5 4B 01 01 00 04 08 04 04 A2 3B 1C D1 00"),
    ),
]


@pytest.mark.parametrize(("tfi", "data", "frame"), TABLE)
def test_frame_table_builds_and_parses(tfi: int, data: bytes, frame: bytes) -> None:
    assert p.build_frame(tfi, data) == frame
    assert (frame[3] + frame[4]) & 0xFF == 0  # LEN + LCS
    assert (sum(frame[5:-1])) & 0xFF == 0  # TFI + ΣPD + DCS
    parsed = p.parse_frame(frame)
    assert (parsed.kind, parsed.tfi, parsed.data) == (p.Pn532FrameKind.INFO, tfi, data)


def test_host_commands_match_the_table() -> None:
    assert p.build_command(p.CMD_IN_LIST_PASSIVE_TARGET, p.POLL_PARAMS) == TABLE[4][2]
    assert (
        p.build_response(p.CMD_GET_FIRMWARE_VERSION, H("32 01 06 07")) == (TABLE[1][2])
    )
    assert p.build_target_response("04A23B1C") == TABLE[5][2]


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (p.ACK, p.Pn532FrameKind.ACK),
        (p.NACK, p.Pn532FrameKind.NACK),
        (p.ERROR_FRAME, p.Pn532FrameKind.ERROR),
    ],
)
def test_special_frames(raw: bytes, kind: p.Pn532FrameKind) -> None:
    assert raw in (
        H("00 00 FF 00 FF 00"),
        H("00 00 FF FF 00 00"),
        H("00 00 FF 01 FF 7F 81 00"),
    )
    assert p.parse_frame(raw).kind is kind


def test_extended_frame_round_trip() -> None:
    data = bytes(range(256)) + b"\x01" * 20
    frame = p.build_frame(p.TFI_PN532, data)
    assert frame[:8] == H("00 00 FF FF FF 01 15 EA")  # LEN 277 = 0x0115, LCS 0xEA
    assert p.parse_frame(frame).data == data


def test_wakeup_preamble_is_garbage_to_the_pn532_decoder_but_zeros_are_not() -> None:
    events = p.Pn532FrameDecoder().feed(p.WAKEUP + TABLE[2][2])
    assert isinstance(events[0], FrameRejected)
    assert events[0].raw.startswith(b"\x55\x55")
    assert p.Pn532FrameDecoder().feed(bytes(40) + p.ACK)[0].kind is p.Pn532FrameKind.ACK  # type: ignore[union-attr]


def test_bad_dcs_names_expected_and_got() -> None:
    frame = TABLE[5][2][:-2] + b"\xd2\x00"
    (event,) = p.Pn532FrameDecoder().feed(frame)
    assert event == FrameRejected(
        RejectReason.BAD_CHECKSUM,
        "bad checksum: DCS expected 0xD1, got 0xD2",
        frame[1:],  # raw starts at the start code
    )


def test_bad_lcs_resyncs_on_a_frame_right_behind() -> None:
    events = p.Pn532FrameDecoder().feed(H("00 00 FF 0C F3") + p.ACK)
    assert events[0] == FrameRejected(
        RejectReason.BAD_LENGTH_CHECKSUM,
        "bad length checksum: LEN 0x0C + LCS 0xF3 is not 0 mod 256",
        H("00 FF 0C F3"),
    )
    assert len(events) == 2  # the LEN/LCS bytes are not counted again as garbage
    assert events[1].kind is p.Pn532FrameKind.ACK  # type: ignore[union-attr]


def test_missing_postamble() -> None:
    (event,) = p.Pn532FrameDecoder().feed(TABLE[0][2][:-1] + b"\x01")
    assert isinstance(event, FrameRejected)
    assert event.reason is RejectReason.MISSING_POSTAMBLE
    assert event.message == "missing postamble: frame ends in 0x01, expected 0x00"


def test_extended_frame_bad_lcs_and_bad_length() -> None:
    (bad_lcs,) = p.Pn532FrameDecoder().feed(H("00 00 FF FF FF 01 15 EB"))
    assert bad_lcs.reason is RejectReason.BAD_LENGTH_CHECKSUM  # type: ignore[union-attr]
    assert "LENm 0x01 + LENl 0x15 + LCS 0xEB" in str(bad_lcs)
    (too_long,) = p.Pn532FrameDecoder().feed(H("00 00 FF FF FF 10 00 F0"))
    assert too_long == FrameRejected(
        RejectReason.BAD_LENGTH,
        "bad length: extended LEN 4096, allowed 1..300",
        H("00 FF FF FF 10 00 F0"),
    )


def test_byte_by_byte_equals_whole_stream() -> None:
    stream = b"\x55\x55" + bytes(5) + b"".join(f for _, _, f in TABLE) + p.ACK
    decoder = p.Pn532FrameDecoder()
    split = [e for i in range(len(stream)) for e in decoder.feed(stream[i : i + 1])]
    assert split == p.Pn532FrameDecoder().feed(stream)
    assert len(split) == 1 + len(TABLE) + 1


def test_parse_frame_rejects_partial_and_bad() -> None:
    with pytest.raises(ValueError, match="incomplete"):
        p.parse_frame(TABLE[0][2][:-1])
    with pytest.raises(ValueError, match="DCS expected 0x2A, got 0x2B"):
        p.parse_frame(TABLE[0][2][:-2] + b"\x2b\x00")


@pytest.mark.parametrize(
    ("uid", "sens_res", "sel_res"),
    [
        ("04A23B1C", "00 04", 0x08),
        ("04112233445566", "00 44", 0x00),
        ("00" * 10, "00 84", 0x00),
    ],
)
def test_target_response_round_trip(uid: str, sens_res: str, sel_res: int) -> None:
    frame = p.parse_frame(p.build_target_response(uid))
    assert frame.data[3:5] == H(sens_res)
    assert frame.data[5] == sel_res
    assert p.parse_target_uid(frame.data) == uid.upper()


def test_no_target() -> None:
    frame = p.parse_frame(p.build_target_response(None))
    assert frame.data == H("4B 00")
    assert p.parse_target_uid(frame.data) is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (H("03 32"), "not an InListPassiveTarget response"),
        (H("4B 01 01 00"), "target data too short: 2 bytes"),
        (H("4B 01 01 00 04 08 05 01 02 03 04 05"), "bad NFCIDLength 5"),
        (H("4B 01 01 00 04 08 04 04 A2 3B"), "bad NFCIDLength 4 with 3 uid bytes"),
    ],
)
def test_malformed_target_data(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        p.parse_target_uid(data)


def test_build_target_response_rejects_odd_uid_sizes() -> None:
    with pytest.raises(ValueError, match="4, 7 or 10 bytes"):
        p.build_target_response("62E3086CED")
