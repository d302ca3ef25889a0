"""Relays held to the command: welded, not closing, recovering.

The board's own relay (its feedback row) and an external contactor (its relay
module's mirror contact).
"""

from __future__ import annotations

from edge.evse.actions import (
    Rejected,
    SetContactor,
    SetStatus,
    StartSession,
    StopSession,
)
from edge.evse.events import BoardRead, MeterRead, MirrorRead, TokenPresented
from edge.evse.inputs import mirror_event
from edge.evse.states import CpState, EvseStatus, FaultKind, Phase
from edge.model.events import ContactorReading

from .harness import Harness

A, B, C = CpState.A, CpState.B, CpState.C


def poll(h: Harness, cp: CpState, relay: bool | None, wh: int, dt: float = 1.0):
    return h.send(BoardRead(cp, relay), dt) + h.send(MeterRead(wh, 0.0), 0.001)


def charging(h: Harness) -> None:
    poll(h, A, False, 1000)
    poll(h, B, False, 1000)
    h.send(TokenPresented("AA11"))
    h.accept("AA11")
    poll(h, C, False, 1000)
    assert h.of(StartSession)
    assert h.state.contactor is True
    poll(h, C, True, 1100)


def test_a_relay_closed_while_commanded_open_is_welded_after_the_settle_time() -> None:
    h = Harness()
    charging(h)
    poll(h, A, True, 1200)  # the EV left: stop, contactor commanded open
    assert h.state.contactor is False
    assert h.of(StopSession)
    for _ in range(9):  # still closed, but within the settle time
        poll(h, A, True, 1200)
    assert h.state.fault is None
    poll(h, A, True, 1200)
    poll(h, A, True, 1200)
    assert h.state.fault is FaultKind.RELAY_WELDED
    assert h.state.status is EvseStatus.OUTOFORDER
    assert not [a for a in h.of(SetContactor)[-1:] if a.closed]
    # a card is refused while welded
    poll(h, B, True, 1200)
    h.send(TokenPresented("AA11"))
    assert h.of(Rejected)
    # repaired: the relay opens, the EVSE recovers
    poll(h, B, False, 1200)
    assert h.state.fault is None
    assert h.state.status is not EvseStatus.OUTOFORDER


def test_a_relay_that_opens_in_time_is_no_fault() -> None:
    h = Harness()
    charging(h)
    poll(h, A, True, 1200)
    for _ in range(5):
        poll(h, A, True, 1200)
    poll(h, A, False, 1200)
    h.tick(60)
    poll(h, A, False, 1200)
    assert h.state.fault is None
    assert h.state.phase is Phase.AVAILABLE


def test_a_relay_that_does_not_close_faults_then_is_retried() -> None:
    h = Harness()
    charging(h)
    for _ in range(11):  # commanded closed, the EV asks, the relay stays open
        poll(h, C, False, 1100)
    assert h.state.fault is FaultKind.RELAY_NOT_CLOSED
    assert h.state.status is EvseStatus.OUTOFORDER
    assert h.of(SetContactor)[-1] == SetContactor(False, 0.0)
    assert h.state.session is not None  # kept, to resume
    for _ in range(30):  # held: not retried at once
        poll(h, C, False, 1100)
    assert h.state.fault is FaultKind.RELAY_NOT_CLOSED
    for _ in range(31):
        poll(h, C, False, 1100)
    assert h.state.fault is None  # retried after relay_retry_s
    assert h.of(SetContactor)[-1] == SetContactor(True, 16.0)
    poll(h, C, True, 1150)  # now it closes
    poll(h, C, True, 1300)
    h.tick(30)
    poll(h, C, True, 1400)
    assert h.state.fault is None
    assert h.state.phase is Phase.CHARGING


def test_the_ev_that_stops_asking_ends_the_hold() -> None:
    h = Harness()
    charging(h)
    for _ in range(11):
        poll(h, C, False, 1100)
    assert h.state.fault is FaultKind.RELAY_NOT_CLOSED
    poll(h, A, False, 1100)  # it gave up and left
    poll(h, A, False, 1100)
    assert h.state.fault is None
    assert h.of(StopSession)[-1].reason == "EV_DISCONNECTED"


def test_a_board_without_relay_feedback_is_not_checked() -> None:
    h = Harness()
    charging(h)
    for _ in range(30):
        poll(h, C, None, 1100)
    poll(h, A, None, 1100)
    for _ in range(30):
        poll(h, A, None, 1100)
    assert h.state.fault is None


def test_a_contactor_whose_mirror_says_not_closed_faults_then_is_retried() -> None:
    h = Harness()
    charging(h)
    sid = h.state.session.id
    h.send(MirrorRead(welded=False, not_closed=True))
    assert h.state.fault is FaultKind.CONTACTOR_NOT_CLOSED
    assert h.state.status is EvseStatus.OUTOFORDER
    assert h.of(SetStatus)[-1] == SetStatus(
        EvseStatus.OUTOFORDER, "CONTACTOR_NOT_CLOSED"
    )
    assert h.of(SetContactor)[-1] == SetContactor(False, 0.0)
    # commanded open now: the module's mirror agrees, nothing clears the hold
    h.send(MirrorRead(welded=False))
    for _ in range(58):
        poll(h, C, None, 1100)
    assert h.state.fault is FaultKind.CONTACTOR_NOT_CLOSED
    assert h.state.session is not None
    assert h.state.session.id == sid
    poll(h, C, None, 1100)
    poll(h, C, None, 1100)
    assert h.state.fault is None  # retried after relay_retry_s
    assert h.of(SetContactor)[-1] == SetContactor(True, 16.0)
    poll(h, C, None, 1200)
    assert h.state.phase is Phase.CHARGING


def test_a_not_closed_verdict_on_an_open_contactor_is_no_fault() -> None:
    h = Harness()
    poll(h, A, None, 1000)
    poll(h, B, None, 1000)
    assert h.state.contactor is False
    h.send(MirrorRead(welded=False, not_closed=True))  # an older command's verdict
    poll(h, B, None, 1000)
    assert h.state.fault is None
    assert h.state.status is not EvseStatus.OUTOFORDER


def test_the_relay_module_tells_welded_and_not_closed_apart() -> None:
    fresh = ContactorReading("r#1", 5.0, welded=False, not_closed=True)
    assert mirror_event(fresh, welded_before=False) == MirrorRead(False, True)
    # told on every poll that sees it (the machine ignores a repeat)
    assert mirror_event(fresh, welded_before=False) == MirrorRead(False, True)
    ok = ContactorReading("r#1", 6.0, welded=False, not_closed=False)
    assert mirror_event(ok, welded_before=False) is None
    unknown = ContactorReading("r#1", 7.0, welded=None, not_closed=None)
    assert mirror_event(unknown, welded_before=True) is None
    assert mirror_event(
        ContactorReading("r#1", 8.0, welded=True, not_closed=False), False
    ) == MirrorRead(True)


def test_a_welded_contactor_seen_before_the_stop_reading_still_closes_the_session() -> (
    None
):
    # The EV leaves; the relay module says "welded" (the coil is off, the
    # mirror still open) before the meter is read again: the fault must not
    # hold the session of a car that is gone until the repair.
    h = Harness()
    charging(h)
    h.send(BoardRead(A, None), 1.0)  # the EV left: stop decided, coil off
    assert h.state.contactor is False
    h.send(MirrorRead(welded=True), 0.5)
    assert h.state.fault is FaultKind.WELDED_CONTACTOR
    assert h.state.session is not None  # no reading after the stop yet
    h.send(MeterRead(1150, 0.0), 0.2)
    [stop] = h.of(StopSession)
    assert (stop.reason, stop.meter_stop_wh) == ("EV_DISCONNECTED", 1150)
    assert h.state.session is None
    assert h.state.fault is FaultKind.WELDED_CONTACTOR  # still out of order
    assert h.state.status is EvseStatus.OUTOFORDER


def test_an_ev_that_leaves_a_welded_contactor_ends_its_session() -> None:
    h = Harness()
    charging(h)
    h.send(MirrorRead(welded=True), 0.5)  # welded while charging: session kept
    poll(h, C, None, 1150)
    assert h.state.session is not None
    poll(h, A, None, 1150)  # the driver unplugs and leaves
    poll(h, A, None, 1150)  # the next reading after the stop
    [stop] = h.of(StopSession)
    assert stop.reason == "EV_DISCONNECTED"
    assert h.state.session is None
    assert h.state.fault is FaultKind.WELDED_CONTACTOR
    h.send(MirrorRead(welded=False), 0.5)  # repaired
    poll(h, A, None, 1150)
    assert h.state.fault is None
    assert h.state.phase is Phase.AVAILABLE
    assert len(h.of(StopSession)) == 1
