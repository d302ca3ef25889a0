"""A per-EVSE current limit (MQTT's "set current limit"): the machine offers it."""

from __future__ import annotations

from edge.evse.actions import CommandDone, SetContactor, StartSession
from edge.evse.events import SetCurrentLimit, TokenPresented
from edge.evse.states import CpState
from edge.model.commands import CommandOutcome

from .harness import Harness

A, B, C = CpState.A, CpState.B, CpState.C


def charge(h: Harness) -> None:
    h.both(A, 1000)
    h.both(B, 1000)
    h.send(TokenPresented("AA11"))
    h.accept("AA11")
    h.both(C, 1000)
    assert h.of(StartSession)


def test_a_limit_while_charging_lowers_the_offer_then_answers() -> None:
    h = Harness()
    charge(h)
    assert h.of(SetContactor)[-1] == SetContactor(True, 16.0)
    actions = h.send(SetCurrentLimit("r1", 10.0))
    # the board is told first, the command answered after it
    assert actions == [
        SetContactor(True, 10.0),
        CommandDone("r1", CommandOutcome.ACCEPTED),
    ]
    assert h.state.current_limit_a == 10.0
    h.both(C, 1500)
    assert h.of(SetContactor)[-1] == SetContactor(True, 10.0)  # not re-sent
    # lifted (None): back to the EVSE's maximum
    actions = h.send(SetCurrentLimit("r2", None))
    assert actions[0] == SetContactor(True, 16.0)
    assert h.state.current_limit_a is None


def test_a_limit_set_while_idle_is_offered_at_the_next_start() -> None:
    h = Harness()
    h.both(A, 1000)
    actions = h.send(SetCurrentLimit("r1", 8.0))
    assert actions == [CommandDone("r1", CommandOutcome.ACCEPTED)]  # nothing closed
    charge(h)
    assert h.of(SetContactor)[-1] == SetContactor(True, 8.0)
    # the stop opens at 0 A, the next start offers the limit again
    h.send(TokenPresented("AA11"), 20.0)
    h.both(C, 1200)
    assert h.of(SetContactor)[-1] == SetContactor(False, 0.0)


def test_limits_outside_the_pilot_range_or_the_evse_maximum_are_refused() -> None:
    h = Harness()
    charge(h)
    for amps in (5.9, 0.1, -1.0, 16.5, 32.0):
        [done] = h.send(SetCurrentLimit("r", amps))
        assert isinstance(done, CommandDone)
        assert done.outcome is CommandOutcome.REJECTED
        assert "6-16 A" in done.message
    assert h.state.current_limit_a is None
    assert h.of(SetContactor)[-1] == SetContactor(True, 16.0)
    # the whole answer, as the operator reads it
    assert done.message == (
        "32 A is outside 6-16 A "
        "(the pilot's minimum and this EVSE's max_current_a; 0 pauses)"
    )
    # the maximum itself is accepted, and is no limit at all
    assert h.send(SetCurrentLimit("r", 16.0)) == [
        CommandDone("r", CommandOutcome.ACCEPTED)
    ]
    assert h.state.current_limit_a is None


def test_the_pilots_minimum_itself_is_a_limit_the_board_offers() -> None:
    h = Harness()
    charge(h)
    actions = h.send(SetCurrentLimit("r", 6.0))
    assert actions == [
        SetContactor(True, 6.0),
        CommandDone("r", CommandOutcome.ACCEPTED),
    ]
    assert h.state.current_limit_a == 6.0


def test_a_zero_limit_pauses_the_session_and_a_limit_resumes_it() -> None:
    h = Harness()
    charge(h)
    [session] = h.of(StartSession)
    actions = h.send(SetCurrentLimit("p", 0.0))
    # the offer and contactor open first; the session is kept
    assert actions[0] == SetContactor(False, 0.0)
    assert actions[-1] == CommandDone("p", CommandOutcome.ACCEPTED)
    h.both(B, 1200)  # the EV stops drawing and waits
    assert h.state.session is not None
    assert h.state.session.id == session.session_id
    assert h.state.contactor is False
    assert h.of(SetContactor)[-1] == SetContactor(False, 0.0)
    # a limit resumes it at that limit, on the same session
    actions = h.send(SetCurrentLimit("r", 7.0))
    assert actions[0] == SetContactor(True, 7.0)
    assert h.state.session is not None
    assert h.state.session.id == session.session_id
    assert len(h.of(StartSession)) == 1
