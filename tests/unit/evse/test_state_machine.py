"""The per-EVSE state machine: sessions, stops, faults and start-up."""

from __future__ import annotations

from edge.evse.actions import (
    Authorize,
    Checkpoint,
    Rejected,
    SetContactor,
    SetStatus,
    StartSession,
    StopSession,
)
from edge.evse.events import (
    BoardRead,
    MeterRead,
    MirrorRead,
    RemoteStop,
    TokenPresented,
)
from edge.evse.state_machine import ActiveSession, EvseSettings, initial_state
from edge.evse.states import CpState, EvseStatus, FaultKind, Phase
from edge.model.authorization import AuthDecision

from .harness import Harness

A, B, C, E = CpState.A, CpState.B, CpState.C, CpState.E


def charging(h: Harness, uid: str = "AA11", group: str | None = None) -> str:
    h.both(A, 1000)
    h.both(B, 1000)
    h.send(TokenPresented(uid))
    h.accept(uid, group)
    h.both(C, 1000)
    starts = h.of(StartSession)
    assert starts, "session did not start"
    return starts[-1].session_id


def test_startup_opens_contactor_and_reports_unknown() -> None:
    h = Harness()
    actions = h.tick(0.1)
    assert SetContactor(False, 0.0) in actions
    assert SetStatus(EvseStatus.UNKNOWN, "starting") in actions
    h.both(A, 500)
    assert h.state.phase is Phase.AVAILABLE
    assert h.of(SetStatus)[-1].status is EvseStatus.AVAILABLE


def test_card_then_plug_starts_session_and_closes_contactor() -> None:
    h = Harness()
    h.both(A, 1000)
    assert h.send(TokenPresented("aa11")) == [Authorize("AA11")]
    h.accept("AA11")
    assert not h.of(StartSession)  # no EV yet
    actions = h.both(B, 1000)
    start = next(a for a in actions if isinstance(a, StartSession))
    assert start.meter_start_wh == 1000
    assert start.token_uid == "AA11"
    # the session is stored before the contactor closes
    assert actions.index(start) < actions.index(SetContactor(True, 16.0))


def test_unplug_stops_with_a_meter_reading_taken_after_the_stop() -> None:
    h = Harness()
    sid = charging(h)
    h.both(C, 5000)
    h.send(BoardRead(A), 1.0)
    assert not h.of(StopSession)  # waits for a fresh meter reading
    assert h.state.phase is Phase.FINISHING
    assert h.of(SetContactor)[-1] == SetContactor(False, 0.0)
    h.send(MeterRead(5200, 0), 0.5)
    stop = h.of(StopSession)[-1]
    assert (stop.session_id, stop.meter_stop_wh, stop.reason) == (
        sid,
        5200,
        "EV_DISCONNECTED",
    )
    assert h.state.phase is Phase.AVAILABLE
    assert h.state.session is None


def test_same_card_stops_and_other_card_is_refused() -> None:
    h = Harness()
    charging(h, "AA11", group="fleet")
    h.send(TokenPresented("BB22"))
    h.send(AuthDecision("BB22", True, "local list", group_id="other"))
    assert h.of(Rejected)[-1].uid == "BB22"
    assert h.state.stopping is None
    h.send(TokenPresented("AA11"), 1.0)
    assert h.state.stopping is None  # a held card or double tap does not stop
    for _ in range(10):
        h.both(C, 2000)
    h.send(TokenPresented("AA11"))
    assert h.state.stopping == "LOCAL"
    h.both(B, 3000)
    assert h.of(StopSession)[-1].meter_stop_wh == 3000
    assert h.state.phase is Phase.FINISHED  # EV still plugged in
    h.both(A, 3000)
    assert h.state.phase is Phase.AVAILABLE


def test_card_of_the_same_group_stops() -> None:
    h = Harness()
    charging(h, "AA11", group="fleet")
    h.send(TokenPresented("CC33"))
    h.send(AuthDecision("CC33", True, "local list", group_id="fleet"))
    assert h.state.stopping == "LOCAL_GROUP"


def test_rejected_card_never_starts() -> None:
    h = Harness()
    h.both(B, 1000)
    h.send(TokenPresented("DEAD"))
    h.send(AuthDecision("DEAD", False, "unknown token"))
    h.both(C, 1000)
    assert not h.of(StartSession)
    assert h.of(Rejected) == [Rejected("DEAD", "unknown token")]
    assert all(not a.closed for a in h.of(SetContactor))


def test_accepted_card_expires_if_no_ev_arrives() -> None:
    h = Harness()
    h.both(A, 1000)
    h.send(TokenPresented("AA11"))
    h.accept("AA11")
    for _ in range(70):
        h.both(A, 1000)
    h.both(C, 1000)
    assert not h.of(StartSession)


def test_meter_silence_opens_contactor_keeps_session_and_recovers() -> None:
    h = Harness()
    sid = charging(h)
    for _ in range(12):  # board answers, meter does not
        h.send(BoardRead(C), 1.0)
    assert h.state.fault is FaultKind.METER_SILENT
    assert h.of(SetContactor)[-1].closed is False
    assert h.of(SetStatus)[-1].status is EvseStatus.INOPERATIVE
    assert h.state.session is not None
    assert h.state.session.id == sid
    h.both(C, 2000)
    assert h.state.fault is None
    assert h.of(SetContactor)[-1].closed is True
    assert not h.of(StopSession)


def test_cp_error_is_out_of_order_and_unplug_during_fault_closes_session() -> None:
    h = Harness()
    charging(h)
    h.both(E, 2000)
    assert h.state.phase is Phase.FAULTED
    assert h.of(SetStatus)[-1] == SetStatus(EvseStatus.OUTOFORDER, "CP_ERROR")
    assert h.of(SetContactor)[-1].closed is False
    h.both(A, 2100)  # fault cleared, EV gone: stop after a fresh reading
    h.both(A, 2100)
    assert h.of(StopSession)[-1].meter_stop_wh == 2100


def test_resumed_session_closes_if_ev_left_while_down() -> None:
    h = Harness()
    h.state = initial_state(0.0, ActiveSession("S1", 1000, "AA11", None, 0.0))
    h.both(A, 4000)
    h.both(A, 4000)
    stop = h.of(StopSession)[-1]
    assert (stop.session_id, stop.meter_stop_wh) == ("S1", 4000)
    assert not h.of(StartSession)


def test_resumed_session_continues_if_ev_still_charging() -> None:
    h = Harness()
    h.state = initial_state(0.0, ActiveSession("S1", 1000, "AA11", None, 0.0))
    assert h.tick(0.1)[0] == SetContactor(False, 0.0)  # safe until state is known
    h.both(C, 4000)
    assert h.state.phase is Phase.CHARGING
    assert h.of(SetContactor)[-1] == SetContactor(True, 16.0)
    assert not h.of(StartSession)
    assert not h.of(StopSession)


def test_checkpoints_at_the_configured_interval() -> None:
    h = Harness(cfg=EvseSettings("E1", checkpoint_interval_s=60))
    sid = charging(h)
    for i in range(180):
        h.both(C, 1000 + i * 10)
    points = h.of(Checkpoint)
    assert len(points) == 3
    assert all(p.session_id == sid for p in points)
    assert [p.meter_wh for p in points] == sorted(p.meter_wh for p in points)


def test_meter_going_backwards_is_not_believed() -> None:
    h = Harness()
    charging(h)
    h.both(C, 5000)
    h.both(C, 0)  # register reset fault
    assert h.state.meter_wh == 5000
    assert h.state.fault is None


def test_remote_stop_and_free_vend() -> None:
    h = Harness(cfg=EvseSettings("E1", free_vend=True))
    h.both(A, 100)
    h.both(C, 100)
    start = h.of(StartSession)[-1]
    assert start.token_uid is None
    assert "free vend" in start.auth_reason
    h.send(RemoteStop("REMOTE"), 1.0)
    h.both(C, 150)
    assert h.of(StopSession)[-1].reason == "REMOTE"


def test_stop_completed_during_a_fault_leaves_evse_finished_not_preparing() -> None:
    h = Harness(cfg=EvseSettings("E1", free_vend=True))
    h.both(A, 100)
    h.both(C, 100)
    h.send(RemoteStop("REMOTE"), 1.0)
    h.send(BoardRead(C), 11.0)  # meter silent: fault while stopping
    assert h.state.phase is Phase.FAULTED
    h.both(B, 200)
    assert h.of(StopSession)[-1].meter_stop_wh == 200
    assert h.state.phase is Phase.FINISHED
    h.both(C, 200)  # free vend must not restart on the same plug-in
    assert len(h.of(StartSession)) == 1


def test_a_session_started_as_another_stops_gets_its_own_id() -> None:
    # Found by Hypothesis: ids were derived from the EVSE and the instant only.
    h = Harness()
    first = charging(h, "AA11")
    for _ in range(11):
        h.both(C, 1500)
    h.send(TokenPresented("AA11"))  # stop requested
    h.send(TokenPresented("BB22"))  # ignored while stopping
    h.both(B, 1600)
    h.send(TokenPresented("BB22"))
    h.accept("BB22")  # same instant as nothing else moves the clock
    starts = h.of(StartSession)
    assert len(starts) == 2
    assert starts[1].session_id != first


def test_welded_contactor_is_out_of_order_until_the_mirror_clears() -> None:
    h = Harness()
    sid = charging(h)
    h.send(MirrorRead(welded=True))
    assert h.state.fault is FaultKind.WELDED_CONTACTOR
    assert h.of(SetContactor)[-1].closed is False  # the board stops offering current
    assert h.of(SetStatus)[-1] == SetStatus(EvseStatus.OUTOFORDER, "WELDED_CONTACTOR")
    h.both(C, 1200)
    assert h.state.fault is FaultKind.WELDED_CONTACTOR  # board reads do not clear it
    h.send(MirrorRead(welded=False))
    h.both(C, 1200)
    assert h.state.fault is None
    assert h.state.session is not None
    assert h.state.session.id == sid
