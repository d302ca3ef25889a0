"""The state machine's meter paths: freshness by read time, a new meter."""

from __future__ import annotations

from edge.evse.actions import SetContactor, StartSession, StopSession
from edge.evse.events import BoardRead, MeterRead, MeterReset, TokenPresented
from edge.evse.state_machine import METER_RESET
from edge.evse.states import CpState, FaultKind, Phase

from .harness import Harness
from .test_state_machine import charging

A, B, C = CpState.A, CpState.B, CpState.C


def test_a_new_meter_closes_the_session_on_its_last_good_reading() -> None:
    h = Harness()
    sid = charging(h)
    h.both(C, 4200)
    actions = h.send(MeterReset(4200, 35, h.now), 0.5)
    stop = next(a for a in actions if isinstance(a, StopSession))
    assert (stop.session_id, stop.meter_stop_wh, stop.reason) == (
        sid,
        4200,
        METER_RESET,
    )
    assert stop.final_period.energy_wh == 4200 - 1000
    assert SetContactor(False, 0.0) in actions
    assert h.state.session is None
    assert h.state.meter_wh == 35
    assert h.state.phase is Phase.FINISHED  # the EV is still there: a card again
    # the next session starts on the new meter's baseline
    h.both(C, 40)
    assert len(h.of(StartSession)) == 1
    h.send(TokenPresented("AA11"))
    h.accept("AA11")
    h.both(C, 41)
    start = h.of(StartSession)[-1]
    assert start.meter_start_wh == 40  # the new meter, not the old one
    h.both(C, 900)
    h.send(BoardRead(A), 1.0)
    h.send(MeterRead(950, 0.0), 0.5)
    last = h.of(StopSession)[-1]
    assert (last.meter_stop_wh - start.meter_start_wh, last.reason) == (
        910,
        "EV_DISCONNECTED",
    )


def test_a_new_meter_without_a_session_only_rebases() -> None:
    h = Harness()
    h.both(A, 100_000)
    actions = h.send(MeterReset(100_000, 12, h.now), 0.5)
    assert not [a for a in actions if isinstance(a, StopSession)]
    assert h.state.meter_wh == 12
    assert h.state.phase is Phase.AVAILABLE


def test_a_lower_reading_is_not_believed_and_does_not_keep_the_meter_alive() -> None:
    h = Harness()  # device timeout 10 s
    charging(h)
    h.both(C, 3000)
    for _ in range(12):
        h.send(BoardRead(C), 1.0)
        h.send(MeterRead(2000, 0.0), 0.001)
    assert h.state.meter_wh == 3000
    assert h.state.fault is FaultKind.METER_SILENT
    assert h.of(SetContactor)[-1] == SetContactor(False, 0.0)


def test_freshness_is_the_time_the_register_was_read() -> None:
    h = Harness()
    h.both(A, 1000)
    read_at = h.now
    # The reading arrives 9 s late (a queue, a slow bus): it is 9 s old.
    h.send(MeterRead(1001, 0.0, None, read_at), 9.0)
    assert h.state.meter_seen == read_at
    h.send(BoardRead(A), 1.5)
    assert h.state.fault is FaultKind.METER_SILENT
    # an old reading never makes the meter look fresher than it was
    h.send(MeterRead(1001, 0.0, None, read_at - 5), 0.0)
    assert h.state.meter_seen == read_at
