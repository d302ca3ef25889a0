"""Remote commands and reservations in the pure state machine."""

from __future__ import annotations

from datetime import timedelta

from edge.evse.actions import (
    CommandDone,
    DropReservation,
    HoldReservation,
    Rejected,
    SetContactor,
    SetStatus,
    StartSession,
    StopSession,
)
from edge.evse.events import (
    CancelRequest,
    CancelReservation,
    MeterRead,
    RemoteStart,
    RemoteStop,
    Reserve,
    TokenPresented,
)
from edge.evse.states import CpState, EvseStatus
from edge.model.authorization import AuthDecision
from edge.model.commands import CommandOutcome, CommandToken

from .harness import T0, Harness

A, B, C, E = CpState.A, CpState.B, CpState.C, CpState.E
APP = CommandToken("APP1", "APP_USER", "NL-EMS-C1", "NL", "EMS", group_id="fleet")
OTHER = CommandToken("APP2", "APP_USER", "NL-EMS-C2", "NL", "EMS")
MATE = CommandToken("APP3", "APP_USER", "NL-EMS-C3", "NL", "EMS", group_id="fleet")


def done(h: Harness, request: str) -> list[CommandDone]:
    return [a for a in h.of(CommandDone) if a.request == request]


def test_remote_start_with_ev_plugged_in_starts_a_command_session() -> None:
    h = Harness()
    h.both(B, 1000)
    actions = h.send(RemoteStart("r1", APP, "REF-1"))
    start = next(a for a in actions if isinstance(a, StartSession))
    assert (start.token_uid, start.auth_method, start.token_type) == (
        "APP1",
        "COMMAND",
        "APP_USER",
    )
    assert (start.contract_id, start.group_id) == ("NL-EMS-C1", "fleet")
    assert start.authorization_reference == "REF-1"
    assert (start.token_country_code, start.token_party_id) == ("NL", "EMS")
    # ACCEPTED only with the session's start, after it in the same step.
    answer = CommandDone("r1", CommandOutcome.ACCEPTED)
    assert actions.index(start) < actions.index(answer)
    assert SetContactor(True, 16.0) in actions


def test_remote_start_waits_for_the_plug_then_fails_after_the_window() -> None:
    h = Harness()
    h.both(A, 1000)
    h.send(RemoteStart("r1", APP))
    assert not done(h, "r1")
    for _ in range(65):
        h.both(A, 1000)
    [answer] = done(h, "r1")
    assert answer.outcome is CommandOutcome.FAILED
    h.both(B, 1000)
    assert not h.of(StartSession)


def test_remote_start_then_plug_in_starts() -> None:
    h = Harness()
    h.both(A, 1000)
    h.send(RemoteStart("r1", APP))
    h.both(B, 1000)
    assert done(h, "r1") == [CommandDone("r1", CommandOutcome.ACCEPTED)]
    assert h.of(StartSession)


def test_caller_timeout_drops_the_remote_start() -> None:
    h = Harness()
    h.both(A, 1000)
    h.send(RemoteStart("r1", APP))
    h.send(CancelRequest("r1"))
    h.both(B, 1000)
    assert not h.of(StartSession)


def test_remote_start_refused_when_occupied_or_faulted() -> None:
    h = Harness()
    h.both(B, 1000)
    h.send(RemoteStart("r1", APP))
    h.send(RemoteStart("r2", OTHER))
    assert done(h, "r2")[0].outcome is CommandOutcome.EVSE_OCCUPIED
    f = Harness()
    f.both(E, 1000)
    f.send(RemoteStart("r3", APP))
    assert done(f, "r3")[0].outcome is CommandOutcome.EVSE_INOPERATIVE


def test_remote_stop_answers_once_the_session_is_closed() -> None:
    h = Harness()
    h.both(B, 1000)
    h.send(RemoteStart("r1", APP))
    sid = h.of(StartSession)[0].session_id
    h.both(C, 1500)
    h.send(RemoteStop("REMOTE", "s1", sid))
    assert not done(h, "s1")  # waits for a fresh meter reading
    h.send(MeterRead(1600, 0.0), 0.5)
    [stop] = h.of(StopSession)
    assert (stop.meter_stop_wh, stop.reason) == (1600, "REMOTE")
    assert done(h, "s1") == [CommandDone("s1", CommandOutcome.ACCEPTED)]
    h.send(RemoteStop("REMOTE", "s2", sid))
    assert done(h, "s2")[0].outcome is CommandOutcome.FAILED


def reserve(h: Harness, rid: str, token: CommandToken, minutes: float = 15) -> None:
    expiry = T0 + timedelta(seconds=h.now + minutes * 60)
    h.send(Reserve(rid, "RES-1", token, expiry, "REF-R"))


def test_reservation_holds_the_evse_for_its_token_and_group() -> None:
    h = Harness()
    h.both(A, 1000)
    reserve(h, "r1", APP)
    assert done(h, "r1") == [CommandDone("r1", CommandOutcome.ACCEPTED)]
    assert h.of(HoldReservation)[0].reservation_id == "RES-1"
    assert h.of(SetStatus)[-1].status is EvseStatus.RESERVED
    # Another token may not start here, by command or by card.
    h.send(RemoteStart("r2", OTHER))
    assert done(h, "r2")[0].outcome is CommandOutcome.EVSE_OCCUPIED
    h.both(B, 1000)
    h.send(TokenPresented("CC33"))
    h.send(AuthDecision("CC33", True, "local list", "RFID"))
    assert h.of(Rejected)[-1].reason == "EVSE reserved for another token"
    # A card of the same group may: the reservation is used up.
    h.send(TokenPresented("APP3"))
    h.send(AuthDecision("APP3", True, "local list", "RFID", None, "fleet"))
    h.both(B, 1000)
    [start] = h.of(StartSession)
    assert start.token_uid == "APP3"
    assert start.authorization_reference == "REF-R"
    assert h.of(DropReservation) == [DropReservation("RES-1", "used")]


def test_reservation_expires_on_the_site_clock() -> None:
    h = Harness()
    h.both(A, 1000)
    reserve(h, "r1", APP, minutes=1)
    for _ in range(70):
        h.both(A, 1000)
    assert h.of(DropReservation) == [DropReservation("RES-1", "expired")]
    assert h.of(SetStatus)[-1].status is EvseStatus.AVAILABLE


def test_same_reservation_id_replaces_and_cancel_releases() -> None:
    h = Harness()
    h.both(A, 1000)
    reserve(h, "r1", APP)
    reserve(h, "r2", MATE)
    assert done(h, "r2")[0].outcome is CommandOutcome.ACCEPTED
    assert h.state.reservation is not None
    assert h.state.reservation.token == MATE
    h.send(CancelReservation("NOPE", "c0"))
    assert done(h, "c0")[0].outcome is CommandOutcome.UNKNOWN_RESERVATION
    h.send(CancelReservation("RES-1", "c1"))
    assert done(h, "c1")[0].outcome is CommandOutcome.ACCEPTED
    assert h.state.reservation is None
    assert not any(d.notify for d in h.of(DropReservation))


def test_out_of_order_drops_the_reservation_and_says_so() -> None:
    h = Harness()
    h.both(A, 1000)
    reserve(h, "r1", APP)
    h.both(E, 1000)
    [drop] = h.of(DropReservation)
    assert drop.notify
    assert drop.reservation_id == "RES-1"
    assert h.state.reservation is None


def test_reserve_refused_with_an_ev_plugged_in() -> None:
    h = Harness()
    h.both(B, 1000)
    reserve(h, "r1", APP)
    assert done(h, "r1")[0].outcome is CommandOutcome.EVSE_OCCUPIED
    assert h.state.reservation is None
