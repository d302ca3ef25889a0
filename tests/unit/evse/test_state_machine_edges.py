"""The state machine at its edges: cases mutation testing found untested."""

from __future__ import annotations

from edge.evse.actions import SetContactor, StartSession
from edge.evse.events import BoardRead, MeterRead, TokenPresented
from edge.evse.states import CpState

from .harness import Harness
from .test_state_machine import charging

A, B, C = CpState.A, CpState.B, CpState.C


def test_no_start_while_the_meter_has_never_answered():
    # the board says an EV wants to charge and the card is accepted, but with no
    # meter reading yet the state is not known: nothing starts, the contactor
    # stays open
    h = Harness()
    h.send(BoardRead(B))
    h.accept("AA11")
    h.send(BoardRead(C), 1.0)
    assert not h.of(StartSession)
    assert SetContactor(True, 16.0) not in h.log


def test_no_start_while_the_board_has_never_answered():
    h = Harness()
    h.send(MeterRead(1000, 0.0))
    h.accept("AA11")
    h.send(MeterRead(1000, 0.0), 1.0)
    assert not h.of(StartSession)
    assert SetContactor(True, 16.0) not in h.log


def test_the_first_stop_reason_is_kept():
    h = Harness()
    charging(h, "AA11")
    for _ in range(10):
        h.both(C, 2000)
    h.send(TokenPresented("AA11"))
    assert h.state.stopping == "LOCAL"
    h.send(BoardRead(A), 0.5)  # the EV leaves before the meter's next reading
    assert h.state.stopping == "LOCAL"
