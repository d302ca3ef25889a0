"""Cards at the reader: the stop guard's edge, who is asked, what a refusal says."""

from __future__ import annotations

from edge.evse.actions import Authorize, CommandDone, Rejected, StopSession
from edge.evse.events import MirrorRead, RemoteStart, TokenPresented
from edge.evse.states import CpState, FaultKind
from edge.model.authorization import AuthDecision
from edge.model.commands import CommandOutcome, CommandToken

from .harness import Harness
from .test_state_machine import charging

A, B, C = CpState.A, CpState.B, CpState.C
APP = CommandToken("APP1", "APP_USER", "NL-EMS-C1", "NL", "EMS")


def refuse(uid: str, reason: str = "unknown card") -> AuthDecision:
    return AuthDecision(uid, False, reason, "RFID", None, None)


def test_the_own_card_stops_exactly_when_the_guard_is_over() -> None:
    h = Harness()
    h.tick(100.0)  # the session starts late on the time line
    charging(h)
    started = h.state.session.started
    h.now = started + 9.9
    h.send(TokenPresented("AA11"))
    assert h.state.stopping is None  # a double swipe within the guard
    h.now = started + h.cfg.stop_guard_s
    h.send(TokenPresented("aa11"))
    assert h.state.stopping == "LOCAL"


def test_another_card_during_a_session_is_asked_about_in_upper_case() -> None:
    h = Harness()
    charging(h)
    actions = h.send(TokenPresented("bb22"))
    assert Authorize("BB22") in actions
    h.send(refuse("BB22", "not of this group"))
    assert h.of(Rejected) == [Rejected("BB22", "EVSE is in use by another card")]
    h.send(refuse("BB22", "not of this group"))  # a repeated answer: ignored
    assert len(h.of(Rejected)) == 1
    assert h.state.session is not None
    assert h.state.stopping is None


def test_an_answer_about_another_card_is_ignored() -> None:
    h = Harness()
    h.both(A, 1000)
    h.both(B, 1000)
    h.send(TokenPresented("AA11"))
    h.send(AuthDecision("ZZ99", True, "local list", "RFID", None, None))
    h.both(B, 1000)
    assert h.state.session is None
    h.accept("AA11")
    h.both(C, 1000)
    assert h.state.session is not None
    assert h.state.session.token_uid == "AA11"


def test_a_refused_card_is_told_once() -> None:
    h = Harness()
    h.both(B, 1000)
    h.send(TokenPresented("CC33"))
    h.send(refuse("CC33"))
    h.send(refuse("CC33"))  # the answer arrives twice
    assert h.of(Rejected) == [Rejected("CC33", "unknown card")]


def test_a_card_at_a_broken_evse_is_refused_naming_the_fault() -> None:
    h = Harness()
    h.both(B, 1000)
    h.send(MirrorRead(welded=True))
    assert h.state.fault is FaultKind.WELDED_CONTACTOR
    actions = h.send(TokenPresented("dd44"))
    assert actions == [Rejected("DD44", "EVSE out of order (WELDED_CONTACTOR)")]
    assert h.state.pending is None


def test_a_card_at_a_broken_evse_fails_the_remote_start_waiting_there() -> None:
    h = Harness()
    h.both(A, 1000)  # no EV yet: the start waits for one
    h.send(RemoteStart("cmd-1", APP))
    assert h.state.pending is not None
    h.send(MirrorRead(welded=True))
    assert h.state.fault is FaultKind.WELDED_CONTACTOR
    actions = h.send(TokenPresented("DD44"))
    assert Rejected("DD44", "EVSE out of order (WELDED_CONTACTOR)") in actions
    assert CommandDone("cmd-1", CommandOutcome.FAILED, "card refused") in actions
    assert h.state.pending is None


def test_a_card_supersedes_a_waiting_remote_start_but_not_its_own() -> None:
    h = Harness()
    h.both(A, 1000)
    h.send(RemoteStart("cmd-1", APP))
    actions = h.send(TokenPresented("app1"))  # the app user's own card
    assert not [a for a in actions if isinstance(a, (CommandDone, Authorize))]
    actions = h.send(TokenPresented("EE55"))
    assert CommandDone("cmd-1", CommandOutcome.FAILED, "superseded by a card") in (
        actions
    )
    assert Authorize("EE55") in actions
    assert not h.of(StopSession)
