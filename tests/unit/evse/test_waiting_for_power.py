"""SUSPENDED_EVSE: a session runs and the EVSE itself offers the EV nothing.

A 0 A limit (load management's pause) is the main case: the driver sees
"waiting for power", not "charging" with nothing offered. The OCPI status stays
CHARGING (no status change is pushed), and faults keep showing FAULTED.
"""

from __future__ import annotations

from edge.evse.actions import SetContactor, SetStatus, StartSession, StopSession
from edge.evse.events import (
    BoardRead,
    MeterRead,
    RemoteStop,
    SetCurrentLimit,
    TokenPresented,
)
from edge.evse.states import CpState, EvseStatus, FaultKind, Phase

from .harness import Harness

A, B, C = CpState.A, CpState.B, CpState.C


def poll(h: Harness, cp: CpState, wh: int, relay: bool | None = None) -> None:
    h.send(BoardRead(cp, relay), 1.0)
    h.send(MeterRead(wh, 0.0), 0.001)


def plug_and_tap(h: Harness) -> None:
    poll(h, A, 1000)
    poll(h, B, 1000)
    h.send(TokenPresented("AA11"))
    h.accept("AA11")


def test_a_zero_limit_shows_waiting_for_power_within_the_charging_status() -> None:
    h = Harness()
    plug_and_tap(h)
    poll(h, C, 1000)
    assert h.state.phase is Phase.CHARGING
    statuses = len(h.of(SetStatus))
    h.send(SetCurrentLimit("pause", 0.0))
    assert h.state.phase is Phase.SUSPENDED_EVSE  # at once, with the offer gone
    assert h.state.contactor is False
    poll(h, C, 1010)  # the EV still asks: it gets nothing
    assert h.state.phase is Phase.SUSPENDED_EVSE
    poll(h, B, 1010)  # and gives up asking: not its own suspension
    assert h.state.phase is Phase.SUSPENDED_EVSE
    assert h.state.status is EvseStatus.CHARGING
    assert len(h.of(SetStatus)) == statuses  # no status change to push
    h.send(SetCurrentLimit("resume", 10.0))
    assert h.of(SetContactor)[-1] == SetContactor(True, 10.0)
    assert h.state.phase is Phase.SUSPENDED_EV  # offered now, the EV in B
    poll(h, C, 1010)
    assert h.state.phase is Phase.CHARGING
    assert len(h.of(SetStatus)) == statuses


def test_a_session_started_under_a_standing_pause_waits_from_its_first_step() -> None:
    h = Harness()
    poll(h, A, 1000)
    h.send(SetCurrentLimit("pause", 0.0))
    plug_and_tap(h)
    poll(h, C, 1000)
    assert h.of(StartSession)
    assert h.state.phase is Phase.SUSPENDED_EVSE
    assert not [a for a in h.of(SetContactor) if a.closed]


def test_a_normal_start_never_passes_through_waiting_for_power() -> None:
    """The contactor closes in the step that starts the session: no flash of
    "waiting for power" before the first poll after it."""
    h = Harness()
    plug_and_tap(h)
    phases = [h.state.phase]
    for wh in (1000, 1010, 1020):
        poll(h, C, wh)
        phases.append(h.state.phase)
    assert Phase.SUSPENDED_EVSE not in phases
    assert phases[-1] is Phase.CHARGING


def test_a_fault_during_a_pause_shows_faulted_and_the_pause_again_after_it() -> None:
    h = Harness()
    plug_and_tap(h)
    poll(h, C, 1000)
    h.send(SetCurrentLimit("pause", 0.0))
    h.send(BoardRead(CpState.E), 1.0)  # a CP error while paused
    assert h.state.phase is Phase.FAULTED
    assert h.state.fault is FaultKind.CP_ERROR
    assert h.state.status is EvseStatus.OUTOFORDER
    poll(h, C, 1000)  # cleared, still paused: the contactor stays open
    assert h.state.phase is Phase.SUSPENDED_EVSE
    assert h.state.contactor is False
    assert h.state.status is EvseStatus.CHARGING


def test_a_relay_that_does_not_close_is_charging_then_faulted_not_waiting() -> None:
    """The EVSE commanded its relay closed: within the settle time the relay is
    moving (CHARGING, as the EV asks); past it, the fault RELAY_NOT_CLOSED."""
    h = Harness()  # relay_settle_s 10
    plug_and_tap(h)
    poll(h, C, 1000, relay=False)
    assert h.state.contactor is True
    phases = []
    for _ in range(12):
        poll(h, C, 1000, relay=False)
        phases.append(h.state.phase)
    assert Phase.SUSPENDED_EVSE not in phases
    assert phases[0] is Phase.CHARGING
    assert phases[-1] is Phase.FAULTED
    assert h.state.fault is FaultKind.RELAY_NOT_CLOSED


def test_a_paused_session_stops_through_finishing() -> None:
    h = Harness()
    plug_and_tap(h)
    poll(h, C, 1000)
    h.send(SetCurrentLimit("pause", 0.0))
    h.send(RemoteStop())
    assert h.state.phase is Phase.FINISHING
    poll(h, B, 1000)
    assert h.of(StopSession)
    assert h.state.phase is Phase.FINISHED
