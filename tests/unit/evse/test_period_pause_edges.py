"""Periods while the EVSE itself supplies nothing: the survivors of mutation
testing (tests/mutation/run.py) in edge.evse.charging's period tracking.

A relay the board reports open, or a pause the EVSE made, is not the EV parking
(OCPI's PARKING_TIME is time the EV does not ask for power while offered it).
"""

from __future__ import annotations

from datetime import timedelta

from edge.evse.actions import NewPeriod, StartSession
from edge.evse.events import (
    BoardRead,
    MeterRead,
    SetCurrentLimit,
    TokenPresented,
)
from edge.evse.state_machine import EvseSettings
from edge.evse.states import CpState
from edge.model.authorization import AuthDecision
from edge.model.period import PeriodKind

from .harness import T0, Harness

A, B, C = CpState.A, CpState.B, CpState.C


def poll(
    h: Harness,
    cp: CpState,
    wh: int,
    power_w: float = 0.0,
    relay_closed: bool | None = None,
) -> None:
    h.send(BoardRead(cp, relay_closed=relay_closed), 1.0)
    h.send(MeterRead(wh, power_w), 0.001)


def session(h: Harness, wh: int) -> StartSession:
    """Plug in, show a card, the EV asks: the session that starts."""
    poll(h, A, wh)
    poll(h, C, wh)
    h.send(TokenPresented("AA11"))
    h.send(AuthDecision("AA11", True, "local list", "RFID"))
    poll(h, C, wh)
    return h.of(StartSession)[-1]


def kinds(h: Harness) -> list[tuple[PeriodKind, PeriodKind]]:
    return [(c.closed.kind, c.opened.kind) for c in h.of(NewPeriod)]


def test_a_relay_reported_open_while_the_ev_asks_is_charging_time() -> None:
    """The contactor is commanded closed, the board reports its relay open and
    the EV asks (C) and draws nothing: the EVSE supplies nothing, which is not
    the EV parking. (A settle time longer than the period hold shows it before
    the relay verdict.)"""
    h = Harness(cfg=EvseSettings("E1", relay_settle_s=120.0))
    session(h, 1000)
    poll(h, C, 1010, power_w=7000)
    assert h.state.contactor is True
    for _ in range(70):
        poll(h, C, 1010, relay_closed=False)
    assert h.state.relay_mismatch is not None
    assert kinds(h) == []
    for wh in range(1020, 1100, 10):  # the relay closes: charging goes on
        poll(h, C, wh, power_w=7000, relay_closed=True)
    assert kinds(h) == []


def test_the_evse_pause_keeps_the_charging_period_it_interrupts() -> None:
    """Neither offered nor asking for ten minutes: the period that began with
    the session goes on through the pause, with the energy from before it."""
    h = Harness()
    start = session(h, 1000)
    poll(h, C, 1010, power_w=7000)
    h.send(SetCurrentLimit("pause", 0.0))
    for _ in range(600):
        poll(h, B, 1010)
    h.send(SetCurrentLimit("resume", None))
    for _ in range(62):
        poll(h, B, 1010)
    [cut] = h.of(NewPeriod)
    assert (cut.closed.seq, cut.closed.start, cut.closed.energy_wh) == (
        0,
        start.start,
        10,
    )
    assert cut.opened.seq == 1


def test_a_pause_the_evse_made_is_charging_time_while_the_ev_asks() -> None:
    """A 0 A limit (load management) with the EV still in C for ten minutes:
    the EV asks for power and gets none, which OCPI does not call parking."""
    h = Harness()  # period_hold_s 60
    session(h, 1000)
    poll(h, C, 1010, power_w=7000)
    h.send(SetCurrentLimit("pause", 0.0))
    assert h.state.contactor is False
    for _ in range(600):
        poll(h, C, 1010)  # asking, nothing offered, nothing drawn
    assert kinds(h) == []
    h.send(SetCurrentLimit("resume", None))
    assert h.state.contactor is True
    for wh in range(1020, 1100, 10):
        poll(h, C, wh, power_w=7000)
    assert kinds(h) == []


def test_an_ev_not_asking_during_the_evse_pause_is_judged_once_supplied() -> None:
    """The EV goes to B when the offer stops: that says nothing of its choice.
    Once current is offered again and it still does not ask, it is parking,
    from when the offer came back (not from when the pause began)."""
    h = Harness()
    session(h, 1000)
    poll(h, C, 1010, power_w=7000)
    h.send(SetCurrentLimit("pause", 0.0))
    for _ in range(600):
        poll(h, B, 1010)
    assert kinds(h) == []
    h.send(SetCurrentLimit("resume", None))
    offered = T0 + timedelta(seconds=h.now + 1.0)
    for _ in range(62):
        poll(h, B, 1010)
    [cut] = h.of(NewPeriod)
    assert kinds(h) == [(PeriodKind.CHARGING, PeriodKind.PARKING)]
    assert cut.opened.start == offered


def test_a_switch_to_parking_the_evse_pause_interrupts_starts_again() -> None:
    """40 s not asking while offered, a 30 s pause, then not asking again: the
    hold counts from the offer's return, so no cut before 60 s more."""
    h = Harness(cfg=EvseSettings("E1", device_timeout_s=100))
    session(h, 1000)
    poll(h, C, 1010, power_w=7000)
    for _ in range(40):
        poll(h, B, 1010)
    h.send(SetCurrentLimit("pause", 0.0))
    for _ in range(30):
        poll(h, B, 1010)
    h.send(SetCurrentLimit("resume", None))
    for _ in range(55):
        poll(h, B, 1010)
    assert kinds(h) == []
    for _ in range(10):
        poll(h, B, 1010)
    assert kinds(h) == [(PeriodKind.CHARGING, PeriodKind.PARKING)]


def test_a_reading_from_before_the_contactor_closed_is_not_parking_evidence() -> None:
    """Seen under load: after a pause, the last readings (0 W, in C) were from
    before the contactor closed again; they began a switch to parking there,
    and a slow EV's first fresh 0 W reading 65 s later cut a PARKING period
    inside the pause. Evidence older than the offer says nothing of the EV."""
    h = Harness(cfg=EvseSettings("E1", device_timeout_s=100))
    session(h, 1000)
    poll(h, C, 1010, power_w=7000)
    h.send(SetCurrentLimit("pause", 0.0))
    for _ in range(120):
        poll(h, C, 1010)  # the last readings of the pause
    h.send(SetCurrentLimit("resume", None), 20.0)  # a busy bus: no poll since
    assert h.state.contactor is True
    for _ in range(44):
        h.tick(1.0)
    poll(h, C, 1010)  # the first fresh reading: the EV is slow to start
    for wh in range(1020, 1100, 10):
        poll(h, C, wh, power_w=7000)
    assert kinds(h) == []
