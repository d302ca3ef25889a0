"""Debounce and counters on a ManualClock."""

from __future__ import annotations

import pytest

from drivers.rfid.debounce import Debouncer, RfidCounters, TokenFilter
from drivers.rfid.framing import FrameRead, FrameRejected, RejectReason
from edge.model.clock import ManualClock

A = FrameRead("62E3086CED", b"a")
B = FrameRead("0A00112233", b"b")
BAD = FrameRejected(RejectReason.BAD_CHECKSUM, "bad checksum", b"x")


def test_held_card_emits_once_and_again_after_hold_gap() -> None:
    clock = ManualClock()
    debounce = Debouncer(hold_s=1.0)
    seen = []
    for _ in range(30):  # 3 s held, a frame every 100 ms
        seen.append(debounce.accept("A", clock.monotonic()))
        clock.advance(0.1)
    assert seen == [True] + [False] * 29
    clock.advance(0.8)  # last frame 0.9 s ago: still the same presentation
    assert debounce.accept("A", clock.monotonic()) is False
    clock.advance(1.0)  # exactly the hold time without a frame
    assert debounce.accept("A", clock.monotonic()) is True


def test_different_card_emits_at_once_and_first_stays_suppressed() -> None:
    debounce = Debouncer()
    assert debounce.accept("A", 0.0)
    assert debounce.accept("B", 0.05)
    assert not debounce.accept("A", 0.1)
    assert not debounce.accept("B", 0.15)


def test_hold_is_configurable_and_validated() -> None:
    debounce = Debouncer(hold_s=0.2)
    assert debounce.accept("A", 0.0)
    assert debounce.accept("A", 0.2)
    assert Debouncer(hold_s=0.0).accept("A", 0.0)
    with pytest.raises(ValueError, match="hold_s"):
        Debouncer(hold_s=-1)


def test_filter_counts_frames_repeats_and_bad_by_reason() -> None:
    clock = ManualClock()
    token_filter = TokenFilter(hold_s=1.0)
    tokens, _ = token_filter.process([A, A, BAD, A], clock.monotonic())
    clock.advance(0.5)
    more, _ = token_filter.process(
        [B, FrameRejected(RejectReason.NON_HEX, "x", b"")], 0.5
    )
    assert tokens + more == ["62E3086CED", "0A00112233"]
    counters = token_filter.counters
    assert counters == RfidCounters(
        frames_ok=4,
        frames_bad={RejectReason.BAD_CHECKSUM: 1, RejectReason.NON_HEX: 1},
        repeats_suppressed=2,
        tokens=2,
    )
    assert counters.frames_bad_total == 2


def test_warnings_once_per_burst() -> None:
    token_filter = TokenFilter(warn_quiet_s=10.0)
    _, warn = token_filter.process([BAD, BAD, BAD], 0.0)
    assert warn == [BAD]
    assert token_filter.process([BAD], 9.0)[1] == []  # same burst
    assert token_filter.process([BAD], 19.5)[1] == [BAD]  # after 10 s of quiet
    assert token_filter.process([A, BAD], 20.0)[1] == [BAD]  # a good frame ends it
    assert token_filter.counters.frames_bad[RejectReason.BAD_CHECKSUM] == 6


def test_snapshot_is_independent() -> None:
    token_filter = TokenFilter()
    snap = token_filter.counters.snapshot()
    token_filter.process([BAD], 0.0)
    assert snap.frames_bad == {}
    assert token_filter.counters.frames_bad == {RejectReason.BAD_CHECKSUM: 1}
