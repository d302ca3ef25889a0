"""The pure PN532 host state machine, driven by hand-built PN532 answers."""

from __future__ import annotations

from drivers.rfid.framing import FrameRead, FrameRejected, RejectReason
from drivers.rfid.framing import pn532 as p
from drivers.rfid.pn532_host import Phase, Pn532Host

H = bytes.fromhex
SAM = H("00 00 FF 05 FB D4 14 01 14 01 02 00")
POLL = H("00 00 FF 04 FC D4 4A 01 00 E1 00")
CARD = H("00 00 FF 0C F4 D5 4B 01 01 00 04 08 04 04 A2 3B 1C D1 00")
FW = p.build_response(p.CMD_GET_FIRMWARE_VERSION, H("32 01 06 07"))


def configured(now: float = 0.0) -> Pn532Host:
    """A host that went through SAM, firmware and RF configuration; a poll is out."""
    host = Pn532Host()
    host.start(now)
    host.feed(p.ACK + p.build_response(p.CMD_SAM_CONFIGURATION), now)
    host.feed(p.ACK + FW, now)
    step = host.feed(p.ACK + p.build_response(p.CMD_RF_CONFIGURATION), now)
    assert step.send == POLL
    return host


def test_start_sends_wakeup_then_sam_configuration() -> None:
    host = Pn532Host()
    sent = host.start(0.0)
    assert sent == H("55 55") + bytes(14) + SAM
    assert (host.phase, host.deadline) == (Phase.AWAIT_ACK, 0.5)


def test_configuration_sequence_and_firmware() -> None:
    host = Pn532Host(passive_retries=0x10)
    host.start(0.0)
    assert host.feed(p.ACK, 0.1).send == b""
    assert (host.phase, host.deadline) == (Phase.AWAIT_RESPONSE, 1.1)
    step = host.feed(p.build_response(p.CMD_SAM_CONFIGURATION), 0.1)
    assert step.send == H("00 00 FF 02 FE D4 02 2A 00")
    step = host.feed(p.ACK + FW, 0.2)
    assert host.firmware == H("32 01 06 07")
    assert step.send == p.build_command(p.CMD_RF_CONFIGURATION, H("05 FF 01 10"))
    step = host.feed(p.ACK + p.build_response(p.CMD_RF_CONFIGURATION), 0.3)
    assert step.send == POLL
    assert step.events == []


def test_card_is_read_then_next_poll_after_pause() -> None:
    host = configured()
    step = host.feed(p.ACK + CARD, 1.0)
    assert step.events == [FrameRead("04A23B1C", CARD[1:])]
    assert step.send == b""
    assert (host.phase, host.deadline) == (Phase.PAUSED, 1.1)
    assert host.on_deadline(1.05).send == b""  # not yet
    assert host.on_deadline(1.1).send == POLL


def test_no_card_polls_again_at_once() -> None:
    host = configured()
    step = host.feed(p.ACK + p.build_target_response(None), 1.0)
    assert step.send == POLL
    assert step.events == []


def test_answer_split_anywhere_still_reads() -> None:
    host = configured()
    events = []
    for i, byte in enumerate(p.ACK + CARD):
        events += host.feed(bytes([byte]), 1.0 + i * 0.001).events
    assert events == [FrameRead("04A23B1C", CARD[1:])]


def test_corrupt_answer_is_nacked_then_resent_answer_is_read() -> None:
    host = configured()
    bad = CARD[:-2] + b"\x00\x00"
    step = host.feed(p.ACK + bad, 1.0)
    assert step.send == p.NACK
    assert step.events[0].reason is RejectReason.BAD_CHECKSUM  # type: ignore[union-attr]
    assert host.feed(CARD, 1.01).events == [FrameRead("04A23B1C", CARD[1:])]


def test_nacks_are_limited() -> None:
    host = configured()
    host.feed(p.ACK, 1.0)
    bad = CARD[:-2] + b"\x00\x00"
    sends = [host.feed(bad, 1.0).send for _ in range(3)]
    assert sends == [p.NACK, p.NACK, b""]


def test_pn532_nack_makes_host_resend() -> None:
    host = configured()
    assert host.feed(p.NACK, 1.0).send == POLL


def test_ack_timeout_reinitialises_and_is_counted() -> None:
    host = configured(now=0.0)
    step = host.on_deadline(0.5)
    assert step.send == p.WAKEUP + SAM
    assert step.events == [
        FrameRejected(
            RejectReason.NO_RESPONSE,
            "no response: an ACK to InListPassiveTarget (0x4A) within 0.5 s",
            b"",
        )
    ]


def test_response_timeout_reinitialises() -> None:
    host = configured(now=0.0)
    host.feed(p.ACK, 0.1)
    assert host.on_deadline(1.0).send == b""
    step = host.on_deadline(1.1)
    assert step.send == p.WAKEUP + SAM
    assert "a response to InListPassiveTarget (0x4A) within 1 s" in str(step.events[0])


def test_error_frame_reinitialises() -> None:
    host = configured()
    step = host.feed(p.ACK + p.ERROR_FRAME, 1.0)
    assert step.send == p.WAKEUP + SAM
    assert step.events[0].reason is RejectReason.DEVICE_ERROR  # type: ignore[union-attr]
    assert "InListPassiveTarget" in str(step.events[0])


def test_unexpected_frame_is_reported_and_ignored() -> None:
    host = configured()
    step = host.feed(p.ACK + FW, 1.0)  # a firmware answer to a poll
    assert step.events[0].reason is RejectReason.UNEXPECTED_FRAME  # type: ignore[union-attr]
    assert str(step.events[0]) == (
        "unexpected frame: TFI 0xD5 code 03 while await_response"
        " for InListPassiveTarget (0x4A)"
    )
    assert host.phase is Phase.AWAIT_RESPONSE
    assert host.feed(CARD, 1.0).events == [FrameRead("04A23B1C", CARD[1:])]


def test_malformed_target_is_reported_and_polling_resumes() -> None:
    host = configured()
    bad = p.build_response(
        p.CMD_IN_LIST_PASSIVE_TARGET, H("01 01 00 04 08 05 01 02 03")
    )
    step = host.feed(p.ACK + bad, 1.0)
    assert step.events[0].reason is RejectReason.MALFORMED_RESPONSE  # type: ignore[union-attr]
    assert host.phase is Phase.PAUSED
    assert host.on_deadline(1.1).send == POLL


def test_response_without_ack_is_accepted() -> None:
    host = configured()
    assert host.feed(CARD, 1.0).events == [FrameRead("04A23B1C", CARD[1:])]
