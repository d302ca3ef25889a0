"""RESERVE_NOW's refusals and what a reservation takes over, exactly.

Written for the survivors of mutation testing (tests/mutation/run.py): each
refusal names its outcome and reason and leaves the state as it was.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from edge.evse.actions import CommandDone, DropReservation, HoldReservation
from edge.evse.events import CancelReservation, RemoteStart, Reserve
from edge.evse.states import CpState
from edge.model.commands import CommandOutcome, CommandToken

from .harness import T0, Harness

A, B, E = CpState.A, CpState.B, CpState.E
APP = CommandToken("APP1", "APP_USER", "NL-EMS-C1", "NL", "EMS", group_id="fleet")
OTHER = CommandToken("APP2", "APP_USER", "NL-EMS-C2", "NL", "EMS")


def expiry(h: Harness, minutes: float = 15) -> object:
    return T0 + timedelta(seconds=h.now + minutes * 60)


def answer(h: Harness, request: str) -> CommandDone:
    [done] = [a for a in h.log if isinstance(a, CommandDone) and a.request == request]
    return done


@pytest.mark.parametrize(
    ("prepare", "outcome", "reason"),
    [
        (lambda h: h.both(E, 1000), CommandOutcome.EVSE_INOPERATIVE, "EVSE fault"),
        (lambda h: None, CommandOutcome.FAILED, "EVSE state not known yet"),
        (
            lambda h: h.both(B, 1000),
            CommandOutcome.EVSE_OCCUPIED,
            "an EV is plugged in",
        ),
    ],
)
def test_a_refused_reservation_says_why_and_holds_nothing(prepare, outcome, reason):
    h = Harness()
    prepare(h)
    h.send(Reserve("r1", "RES-1", APP, expiry(h)))
    done = answer(h, "r1")
    assert done.outcome is outcome
    assert (done.message or "").startswith(reason)
    assert h.state.reservation is None
    assert not [a for a in h.log if isinstance(a, HoldReservation)]


def test_another_reservation_id_is_refused_and_the_first_kept():
    h = Harness()
    h.both(A, 1000)
    h.send(Reserve("r1", "RES-1", APP, expiry(h)))
    h.send(Reserve("r2", "RES-2", OTHER, expiry(h)))
    assert answer(h, "r2") == CommandDone(
        "r2", CommandOutcome.EVSE_OCCUPIED, "already reserved"
    )
    assert h.state.reservation is not None
    assert h.state.reservation.id == "RES-1"


def test_an_expiry_now_or_past_is_rejected():
    h = Harness()
    h.both(A, 1000)
    h.send(Reserve("r1", "RES-1", APP, expiry(h, 0)))  # expires at this instant
    assert answer(h, "r1") == CommandDone(
        "r1", CommandOutcome.REJECTED, "expiry_date is in the past"
    )
    assert h.state.reservation is None


def test_the_hold_carries_the_reservation_as_asked():
    h = Harness()
    h.both(A, 1000)
    until = expiry(h)
    h.send(Reserve("r1", "RES-1", APP, until, "REF-R"))
    assert [a for a in h.log if isinstance(a, HoldReservation)] == [
        HoldReservation("RES-1", APP, until, "REF-R")
    ]
    h.send(CancelReservation("RES-1", "c1"))
    assert [a for a in h.log if isinstance(a, DropReservation)] == [
        DropReservation("RES-1", "canceled")
    ]


def test_a_reservation_takes_the_evse_from_another_tokens_waiting_start():
    h = Harness()
    h.both(A, 1000)
    h.send(RemoteStart("s1", OTHER))  # waits for its EV
    h.send(Reserve("r1", "RES-1", APP, expiry(h)))
    assert answer(h, "s1") == CommandDone("s1", CommandOutcome.FAILED, "EVSE reserved")
    assert h.state.pending is None
    assert answer(h, "r1").outcome is CommandOutcome.ACCEPTED


def test_a_waiting_start_of_the_reserved_token_keeps_its_place():
    h = Harness()
    h.both(A, 1000)
    h.send(RemoteStart("s1", APP))
    h.send(Reserve("r1", "RES-1", APP, expiry(h)))
    assert answer(h, "r1").outcome is CommandOutcome.ACCEPTED
    assert not [a for a in h.log if isinstance(a, CommandDone) and a.request == "s1"]
    assert h.state.pending is not None
    assert h.state.pending.request == "s1"
