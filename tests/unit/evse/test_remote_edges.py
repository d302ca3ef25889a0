"""Remote commands: what each refusal says, and a caller that gave up."""

from __future__ import annotations

from datetime import timedelta

from edge.evse.actions import CommandDone, StopSession
from edge.evse.events import (
    BoardRead,
    CancelRequest,
    MeterRead,
    RemoteStart,
    RemoteStop,
    Reserve,
)
from edge.evse.states import CpState
from edge.model.commands import CommandOutcome, CommandToken

from .harness import T0, Harness
from .test_state_machine import charging

A, B, C = CpState.A, CpState.B, CpState.C
APP = CommandToken("APP1", "APP_USER", "NL-EMS-C1", "NL", "EMS")
OTHER = CommandToken("APP2", "APP_USER", "NL-EMS-C2", "NL", "EMS")


def answers(h: Harness, request: str) -> list[CommandDone]:
    return [a for a in h.log if isinstance(a, CommandDone) and a.request == request]


def test_a_stop_whose_caller_gave_up_still_stops_but_is_not_answered() -> None:
    h = Harness()
    sid = charging(h)
    h.both(C, 1200)
    h.send(RemoteStop(request="s1"), 0.1)
    h.send(RemoteStop(request="s2"), 0.1)
    h.send(CancelRequest("s1"))
    h.send(MeterRead(1250, 0.0), 0.5)
    h.send(BoardRead(C), 0.5)
    [stop] = h.of(StopSession)
    assert stop.session_id == sid
    assert answers(h, "s1") == []
    assert answers(h, "s2") == [CommandDone("s2", CommandOutcome.ACCEPTED)]


def test_a_cancel_with_nothing_waiting_changes_nothing() -> None:
    h = Harness()
    h.both(A, 1000)
    before = h.state
    h.send(CancelRequest("nobody"))
    assert h.state.pending == before.pending
    assert h.state.stop_requests == ()


def test_a_start_whose_caller_gave_up_no_longer_waits_for_an_ev() -> None:
    h = Harness()
    h.both(A, 1000)
    h.send(RemoteStart("r1", APP))
    h.send(CancelRequest("r1"))
    h.both(B, 1000)
    h.both(C, 1000)
    assert h.state.session is None


def test_a_stop_without_a_session_says_so() -> None:
    h = Harness()
    h.both(A, 1000)
    h.send(RemoteStop(request="s1"))
    assert answers(h, "s1") == [
        CommandDone("s1", CommandOutcome.FAILED, "session not active")
    ]


def test_a_start_during_a_session_or_a_reservation_says_why() -> None:
    h = Harness()
    charging(h)
    h.send(RemoteStart("r1", APP))
    assert answers(h, "r1") == [
        CommandDone("r1", CommandOutcome.EVSE_OCCUPIED, "a session is active")
    ]
    h2 = Harness()
    h2.both(A, 1000)
    h2.send(Reserve("res", "RES-1", APP, T0 + timedelta(hours=1)))
    h2.send(RemoteStart("r2", OTHER))
    assert answers(h2, "r2") == [
        CommandDone("r2", CommandOutcome.EVSE_OCCUPIED, "reserved for another token")
    ]


def test_a_second_remote_start_supersedes_the_first_waiting_one() -> None:
    h = Harness()
    h.both(A, 1000)
    h.send(RemoteStart("r1", APP))
    h.send(RemoteStart("r2", OTHER))
    assert answers(h, "r1") == [
        CommandDone("r1", CommandOutcome.FAILED, "superseded by a remote start")
    ]
    h.both(B, 1000)
    h.both(C, 1000)
    assert h.state.session is not None
    assert h.state.session.token_uid == "APP2"
