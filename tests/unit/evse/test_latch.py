"""Boards that disable themselves after the EV leaves (EVSE-WB latch), and
checkpoints on site-wide boundaries."""

from __future__ import annotations

from datetime import timedelta

from edge.evse.actions import (
    Checkpoint,
    EnableConfirmed,
    SetContactor,
    StartSession,
    StopSession,
)
from edge.evse.charging import WHILE_DOWN
from edge.evse.events import BoardRead, MeterRead, TokenPresented
from edge.evse.state_machine import ActiveSession, EvseSettings, initial_state
from edge.evse.states import CpState, Phase
from edge.model.authorization import AuthDecision

from .harness import T0, Harness

A, B, C = CpState.A, CpState.B, CpState.C
LATCH = EvseSettings("E1", device_timeout_s=10, board_latch=True)


def poll(h: Harness, cp: CpState, wh: int, enabled: bool | None, dt: float = 1.0):
    return h.send(BoardRead(cp, None, enabled), dt) + h.send(MeterRead(wh, 0.0), 0.001)


def resumed(confirmed: bool) -> Harness:
    h = Harness(cfg=LATCH)
    session = ActiveSession("S1", 1000, "AA11", None, 0.0, enable_confirmed=confirmed)
    h.state = initial_state(0.0, session)
    return h


def test_board_disabled_after_restart_closes_session_and_new_ev_needs_a_card():
    h = resumed(confirmed=True)
    poll(h, B, 4000, enabled=False)  # another EV, and the board latched
    poll(h, B, 4000, enabled=False)
    [stop] = h.of(StopSession)
    assert (stop.session_id, stop.meter_stop_wh, stop.reason) == (
        "S1",
        4000,
        WHILE_DOWN,
    )
    assert not any(a.closed for a in h.of(SetContactor))
    assert h.state.phase is Phase.PREPARING  # a new plug-in, not a finished one
    h.send(TokenPresented("BB22"))
    h.send(AuthDecision("BB22", True, "local list", "RFID"))
    poll(h, B, 4000, enabled=False)
    [start] = h.of(StartSession)
    assert (start.token_uid, start.meter_start_wh) == ("BB22", 4000)
    assert h.of(SetContactor)[-1].closed


def test_board_disabled_before_our_enable_resumes_the_session():
    # Killed between storing the session and enabling the board: the board is
    # still disabled from the previous EV, which says nothing about this one.
    h = resumed(confirmed=False)
    poll(h, C, 4000, enabled=False)
    assert not h.of(StopSession)
    assert h.of(SetContactor)[-1] == SetContactor(True, 16.0)
    poll(h, C, 4100, enabled=True)
    assert h.of(EnableConfirmed) == [EnableConfirmed("S1")]
    poll(h, C, 4200, enabled=True)
    assert len(h.of(EnableConfirmed)) == 1


def test_latching_board_waits_until_its_enable_is_known():
    h = resumed(confirmed=True)
    poll(h, C, 4000, enabled=None)
    assert h.state.phase is Phase.STARTING
    assert not any(a.closed for a in h.of(SetContactor))


def test_board_still_enabled_after_restart_continues_the_session():
    h = resumed(confirmed=True)
    poll(h, C, 4000, enabled=True)
    assert h.state.phase is Phase.CHARGING
    assert not h.of(StopSession)


def test_latch_seen_while_running_stops_the_session():
    h = Harness(cfg=LATCH)
    poll(h, A, 1000, True)
    poll(h, B, 1000, True)
    h.send(TokenPresented("AA11"))
    h.send(AuthDecision("AA11", True, "local list", "RFID"))
    poll(h, C, 1000, True)
    poll(h, C, 1200, True)
    assert h.of(EnableConfirmed)
    # The EV left and another arrived between two polls.
    poll(h, B, 1300, False)
    poll(h, B, 1300, False)
    [stop] = h.of(StopSession)
    assert stop.reason == "EV_DISCONNECTED"
    assert h.state.phase is Phase.PREPARING


FREE_LATCH = EvseSettings("E1", device_timeout_s=10, board_latch=True, free_vend=True)


def free_vend_session_enabled() -> Harness:
    h = Harness(cfg=FREE_LATCH)
    poll(h, A, 1000, True)
    poll(h, C, 1000, True)  # free vend: the session starts, the board is enabled
    poll(h, C, 1200, True)
    assert h.of(EnableConfirmed)
    assert len(h.of(StartSession)) == 1
    return h


def test_ev_leaving_between_the_cp_and_the_enable_frame_is_no_new_visit():
    # One poll reads the CP state (1000..1007), then the enable (2005): the EV
    # left in between, so the poll shows it connected to the board its leaving
    # latched off. It is the same EV leaving, not another one (with free vend a
    # "new EV" was a session invented on the empty plug).
    h = free_vend_session_enabled()
    torn = poll(h, B, 1300, False)
    assert SetContactor(False, 0.0) in torn  # the latched board is not re-enabled
    assert not h.of(StopSession)
    poll(h, A, 1300, False)  # the next poll's CP frame: the plug is empty
    [stop] = h.of(StopSession)
    assert (stop.meter_stop_wh, stop.reason) == (1300, "EV_DISCONNECTED")
    assert h.state.phase is Phase.AVAILABLE
    poll(h, A, 1300, False)
    assert len(h.of(StartSession)) == 1


def test_free_vend_ev_replaced_between_polls_gets_a_session_of_its_own():
    h = free_vend_session_enabled()
    poll(h, B, 1300, False)  # left and replaced: the board latched off
    assert h.state.session is not None
    assert not h.state.contactor
    poll(h, B, 1300, False)  # CP read after the disable: another EV
    [stop] = h.of(StopSession)
    assert stop.reason == "EV_DISCONNECTED"
    first, second = h.of(StartSession)
    assert second.meter_start_wh == 1300
    assert second.session_id != first.session_id


def test_restart_ev_gone_between_the_frames_closes_while_down():
    h = resumed(confirmed=True)
    poll(h, C, 4000, enabled=False)  # CP frame before the EV left, then the enable
    assert h.state.phase is Phase.STARTING
    poll(h, A, 4000, enabled=False)
    [stop] = h.of(StopSession)
    assert stop.reason == WHILE_DOWN
    assert not any(a.closed for a in h.of(SetContactor))
    assert h.state.phase is Phase.AVAILABLE


def checkpoint_times(start_after_s: float) -> list[float]:
    h = Harness(cfg=EvseSettings("E1", checkpoint_interval_s=60))
    h.now = start_after_s
    h.both(A, 1000)
    h.both(B, 1000)
    h.send(TokenPresented("AA11"))
    h.accept("AA11")
    wh = 1000
    times = []
    for _ in range(200):
        wh += 10
        actions = h.both(C, wh)
        if any(isinstance(a, Checkpoint) for a in actions):
            times.append(h.now)
    return times


def test_checkpoints_fall_on_site_wide_boundaries():
    early, late = checkpoint_times(3.0), checkpoint_times(37.5)
    assert len(early) >= 2
    for times in (early, late):
        for t in times:
            utc = T0 + timedelta(seconds=t)
            # within one poll step after a boundary of 60 s of site time
            assert utc.timestamp() % 60 < 1.1

    # Both EVSEs checkpoint on the same boundaries (minutes).
    def minutes(times: list[float]) -> set[int]:
        return {int((T0 + timedelta(seconds=t)).timestamp() // 60) for t in times}

    assert minutes(late) <= minutes(early)
