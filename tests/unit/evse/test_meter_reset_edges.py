"""A new meter in the middle of things: a stop waiting, a resumed session, silence."""

from __future__ import annotations

from datetime import timedelta

from edge.evse.actions import CommandDone, SetContactor, StartSession, StopSession
from edge.evse.events import (
    BoardRead,
    MeterRead,
    MeterReset,
    RemoteStop,
    TokenPresented,
)
from edge.evse.machine_state import ActiveSession
from edge.evse.state_machine import METER_RESET, initial_state
from edge.evse.states import CpState, FaultKind, Phase
from edge.model.commands import CommandOutcome
from edge.model.period import PeriodKind

from .harness import T0, Harness
from .test_state_machine import charging

A, B, C = CpState.A, CpState.B, CpState.C


def test_a_stop_waiting_for_its_reading_is_answered_by_the_new_meters_close() -> None:
    h = Harness()
    sid = charging(h)
    h.both(C, 3000)
    h.send(RemoteStop(request="cmd-1"), 0.1)  # waits for the next reading
    assert not h.of(StopSession)
    actions = h.send(MeterReset(3000, 20, h.now), 0.5)
    stops = [a for a in actions if isinstance(a, StopSession)]
    assert [(s.session_id, s.meter_stop_wh, s.reason) for s in stops] == [
        (sid, 3000, METER_RESET)
    ]
    assert CommandDone("cmd-1", CommandOutcome.ACCEPTED) in actions
    # The next driver charges on the new meter; the old command is not answered
    # again when that session ends.
    h.both(B, 20)
    h.both(A, 20)
    h.both(B, 20)
    h.send(BoardRead(B), 1.0)
    h.send(TokenPresented("BB22"))
    h.accept("BB22")
    h.both(C, 21)
    assert h.of(StartSession)[-1].meter_start_wh == 20  # the new meter
    assert h.of(SetContactor)[-1].closed is True  # no stop left in progress
    h.both(C, 500)
    h.send(BoardRead(A), 1.0)
    h.send(MeterRead(520, 0.0), 0.5)
    assert h.of(StopSession)[-1].reason == "EV_DISCONNECTED"
    answered = [a for a in h.log if isinstance(a, CommandDone)]
    assert answered == [CommandDone("cmd-1", CommandOutcome.ACCEPTED)]


def test_a_resumed_session_without_a_period_closes_on_a_new_meter() -> None:
    resumed = ActiveSession("S-1", 1000, "AA11", None, 0.0, period=None)
    h = Harness(state=initial_state(0.0, resumed=resumed))
    actions = h.send(MeterReset(1500, 7, 0.2), 0.2)
    [stop] = [a for a in actions if isinstance(a, StopSession)]
    at = T0 + timedelta(seconds=0.2)
    assert (stop.session_id, stop.meter_stop_wh, stop.end, stop.reason) == (
        "S-1",
        1500,
        at,
        METER_RESET,
    )
    period = stop.final_period
    assert (period.seq, period.kind, period.start, period.end) == (
        0,
        PeriodKind.PARKING,
        at,
        at,
    )
    assert period.energy_wh == 0  # nothing known of when the 500 Wh flowed


def test_the_new_meters_reading_is_as_fresh_as_it_was_read() -> None:
    h = Harness()  # device timeout 10 s
    h.both(A, 100_000)
    h.both(A, 100_000)
    # 8 s of readings not believed (the judge sent nothing), then the reset,
    # read on the wire 1 s before it arrives
    h.send(BoardRead(A), 8.0)
    read_at = h.now
    h.send(MeterReset(100_000, 12, read_at), 1.0)
    assert h.state.fault is None
    for _ in range(8):
        h.send(BoardRead(A), 1.0)
    assert h.state.fault is None  # 9 s after the reset's read: still fresh
    h.send(BoardRead(A), 1.5)
    assert h.state.fault is FaultKind.METER_SILENT
    assert h.state.phase is Phase.FAULTED
