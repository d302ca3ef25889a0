"""A session's life in edge.evse.charging, exactly: ids, first period, phases, resets.

Written for the survivors of mutation testing (tests/mutation/run.py): each test
pins what a session's start or stop hands to the store and what the next
session on the same EVSE inherits from it (nothing).
"""

from __future__ import annotations

from datetime import timedelta

from edge.evse.actions import (
    CommandDone,
    DropReservation,
    NewPeriod,
    SetStatus,
    StartSession,
    StopSession,
)
from edge.evse.charging import WHILE_DOWN, session_id_for
from edge.evse.events import BoardRead, MeterRead, RemoteStop, Reserve, TokenPresented
from edge.evse.state_machine import ActiveSession, EvseSettings, initial_state
from edge.evse.states import CpState, EvseStatus, Phase
from edge.model.authorization import AuthDecision
from edge.model.commands import CommandOutcome, CommandToken
from edge.model.period import ClosedPeriod, OpenPeriod, PeriodKind

from .harness import T0, Harness

A, B, C = CpState.A, CpState.B, CpState.C
APP = CommandToken("APP1", "APP_USER", "NL-EMS-C1", "NL", "EMS")


def poll(
    h: Harness, cp: CpState, wh: int, power_w: float = 0.0, dt: float = 1.0
) -> None:
    h.send(BoardRead(cp), dt)
    h.send(MeterRead(wh, power_w), 0.001)


def card(h: Harness, uid: str) -> None:
    h.send(TokenPresented(uid))
    h.send(AuthDecision(uid, True, "local list", "RFID"))


def session(h: Harness, uid: str, wh: int, cp: CpState = B) -> StartSession:
    """Plug in, show the card: the session that starts."""
    poll(h, A, wh)
    poll(h, cp, wh)
    card(h, uid)
    poll(h, cp, wh)
    return h.of(StartSession)[-1]


def test_a_card_start_opens_a_charging_period_at_the_start_reading() -> None:
    h = Harness()
    start = session(h, "AA11", 1000)
    assert start.period == OpenPeriod(0, start.start, PeriodKind.CHARGING, 1000)
    s = h.state.session
    assert s is not None
    assert s.period is not None
    assert (s.period.seq, s.period.start, s.period.kind) == (0, start.start, "CHARGING")
    assert (s.period.meter_start_wh, s.start_utc) == (1000, start.start)


def test_a_free_vend_start_is_whitelisted_without_a_token() -> None:
    h = Harness(cfg=EvseSettings("E1", free_vend=True))
    poll(h, A, 100)
    h.send(BoardRead(B), 1.0)  # the meter is known: it starts here
    utc = T0 + timedelta(seconds=h.now)
    [start] = h.of(StartSession)
    assert start == StartSession(
        session_id_for("E1", utc, 0),
        utc,
        100,
        None,
        None,
        None,
        "WHITELIST",
        "free vend EVSE",
        None,
        OpenPeriod(0, utc, PeriodKind.CHARGING, 100),
    )


def test_the_phase_follows_the_pilot_from_the_start_on() -> None:
    for cp, phase in ((B, Phase.SUSPENDED_EV), (C, Phase.CHARGING)):
        h = Harness()
        poll(h, A, 1000)
        poll(h, cp, 1000)
        card(h, "AA11")  # the EV is plugged in: the card's answer starts it
        assert h.of(StartSession)
        assert h.state.phase is phase
    poll(h, B, 1000)
    assert h.state.phase is Phase.SUSPENDED_EV  # not asking any more
    poll(h, C, 1010)
    assert h.state.phase is Phase.CHARGING


def test_session_ids_count_the_sessions_the_machine_started() -> None:
    h = Harness()
    ids = []
    for n, uid in enumerate(("AA11", "BB22", "CC33")):
        start = session(h, uid, 1000 + n)
        assert start.session_id == session_id_for("E1", start.start, n)
        ids.append(start.session_id)
        h.send(RemoteStop(), 1.0)
        poll(h, B, 1000 + n)
        assert h.of(StopSession)[-1].session_id == start.session_id
    assert len(set(ids)) == 3
    assert h.state.started_count == 3
    # Another EVSE starting at the same instant with the same count: its own id.
    e2 = Harness(cfg=EvseSettings("E2"))
    other = session(e2, "AA11", 1000)
    first = h.of(StartSession)[0]
    assert other.start == first.start
    assert other.session_id != first.session_id


def test_a_period_is_cut_where_the_switch_began_not_where_it_held() -> None:
    h = Harness()  # period_hold_s 60
    start = session(h, "AA11", 1000, cp=C)
    poll(h, C, 1010, power_w=7000)
    poll(h, C, 1020, power_w=7000)
    switched = T0 + timedelta(seconds=h.now + 1.0)
    poll(h, B, 1030)  # stops drawing here
    for _ in range(61):
        poll(h, B, 1030)
    [cut] = h.of(NewPeriod)
    assert cut.closed.start == start.start  # the period the start opened
    assert cut.closed.seq == 0
    assert cut.closed.end == switched
    assert cut.closed.energy_wh == 20  # the reading when the switch was seen
    assert cut.opened.start == switched
    assert cut.opened.kind is PeriodKind.PARKING


def test_a_resumed_session_without_a_period_closes_on_an_empty_parking_one() -> None:
    h = Harness()
    h.state = initial_state(0.0, ActiveSession("S1", 1000, "AA11", None, 0.0))
    poll(h, A, 4000)  # the EV left while we were down: stop decided
    poll(h, A, 4000)  # it closes on the next reading
    [stop] = h.of(StopSession)
    assert (stop.reason, stop.meter_stop_wh) == (WHILE_DOWN, 4000)
    assert stop.end == T0 + timedelta(seconds=h.now)
    assert stop.final_period == ClosedPeriod(
        0, stop.end, stop.end, PeriodKind.PARKING, 0, None, None, None, None
    )


def test_a_remote_stop_is_answered_once_not_again_at_the_next_stop() -> None:
    h = Harness()
    session(h, "AA11", 1000)
    h.send(RemoteStop(request="r1"), 1.0)
    poll(h, B, 1100)
    poll(h, A, 1100)
    session(h, "BB22", 1100)
    h.send(TokenPresented("BB22"), 11.0)  # past the stop guard: a local stop
    poll(h, B, 1200)
    stops = h.of(StopSession)
    assert [s.reason for s in stops] == ["REMOTE", "LOCAL"]
    answers = [a for a in h.log if isinstance(a, CommandDone)]
    assert answers == [CommandDone("r1", CommandOutcome.ACCEPTED)]


def test_after_a_replug_the_next_session_ends_finished_not_preparing() -> None:
    latch = EvseSettings("E1", device_timeout_s=10, board_latch=True)
    h = Harness(cfg=latch)
    resumed = ActiveSession("S1", 1000, "AA11", None, 0.0, enable_confirmed=True)
    h.state = initial_state(0.0, resumed)
    for _ in range(2):  # another EV, and the board latched
        h.send(BoardRead(B, None, False), 1.0)
        h.send(MeterRead(4000, 0.0), 0.001)
    assert h.state.phase is Phase.PREPARING
    card(h, "BB22")
    h.send(BoardRead(B, None, True), 1.0)
    h.send(MeterRead(4000, 0.0), 0.001)
    assert h.of(StartSession)[-1].token_uid == "BB22"
    h.send(TokenPresented("BB22"), 11.0)
    h.send(BoardRead(B, None, True), 1.0)
    h.send(MeterRead(4100, 0.0), 0.001)
    first, second = h.of(StopSession)
    assert (first.session_id, second.reason) == ("S1", "LOCAL")
    assert h.state.phase is Phase.FINISHED  # the same EV, still plugged in


def test_a_used_reservation_is_gone_once_its_session_ends() -> None:
    h = Harness()
    poll(h, A, 1000)
    expiry = T0 + timedelta(seconds=h.now + 900)
    h.send(Reserve("r1", "RES-1", APP, expiry))
    poll(h, B, 1000)
    card(h, "APP1")
    poll(h, B, 1000)
    assert h.of(DropReservation) == [DropReservation("RES-1", "used")]
    assert h.state.reservation is None
    h.send(RemoteStop(), 1.0)
    poll(h, B, 1100)
    poll(h, A, 1100)
    assert h.of(SetStatus)[-1].status is EvseStatus.AVAILABLE
    session(h, "OTHER", 1100)  # anyone may charge now
    assert h.of(StartSession)[-1].token_uid == "OTHER"


def test_meter_readings_read_before_the_period_began_do_not_cut_it() -> None:
    """Seen under load: a backlog of meter readings (0 W, read before the EV
    was enabled) applied for over a minute after the start cut a PARKING period
    at the start of a session whose EV was charging."""
    h = Harness(cfg=EvseSettings("E1", device_timeout_s=1000.0))
    start = session(h, "AA11", 1000, cp=C)
    begun = h.now
    for k in range(70):
        h.send(BoardRead(C), 1.0)
        h.send(MeterRead(1000, 0.0, None, read_at=begun - 70 + k), 0.001)
    assert start.period.kind is PeriodKind.CHARGING
    assert h.of(NewPeriod) == []
