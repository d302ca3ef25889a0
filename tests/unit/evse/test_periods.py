"""Sessions cut into CHARGING and PARKING periods (idle detection)."""

from __future__ import annotations

from datetime import timedelta

from edge.evse.actions import NewPeriod, StopSession
from edge.evse.events import BoardRead, MeterRead
from edge.evse.periods import advance
from edge.evse.state_machine import EvseSettings
from edge.evse.states import CpState
from edge.model.period import OpenPeriod, PeriodKind

from .harness import T0, Harness
from .test_state_machine import charging

C, B, A = CpState.C, CpState.B, CpState.A


def test_a_short_dip_does_not_cut_a_period() -> None:
    p = OpenPeriod(0, T0, PeriodKind.CHARGING, 1000)
    p, closed = advance(p, False, 10.0, T0 + timedelta(seconds=10), 1500, hold_s=60)
    assert closed is None
    assert p.switch_to is PeriodKind.PARKING
    p, closed = advance(p, True, 40.0, T0 + timedelta(seconds=40), 1600, hold_s=60)
    assert closed is None
    assert p.switch_to is None


def test_a_held_switch_cuts_at_the_moment_it_began() -> None:
    p = OpenPeriod(0, T0, PeriodKind.CHARGING, 1000)
    p, _ = advance(p, False, 100.0, T0 + timedelta(seconds=100), 5000, hold_s=60)
    p, closed = advance(p, False, 161.0, T0 + timedelta(seconds=161), 5000, hold_s=60)
    assert closed is not None
    assert (closed.kind, closed.energy_wh, closed.end) == (
        PeriodKind.CHARGING,
        4000,
        T0 + timedelta(seconds=100),
    )
    assert (p.seq, p.kind, p.start, p.meter_start_wh) == (
        1,
        PeriodKind.PARKING,
        T0 + timedelta(seconds=100),
        5000,
    )


def test_full_ev_turns_into_parking_and_periods_add_up() -> None:
    h = Harness(cfg=EvseSettings("E1", period_hold_s=60, device_timeout_s=30))
    sid = charging(h)
    wh = 1000
    for _ in range(600):  # 10 minutes at 11 kW
        wh += 3
        h.send(BoardRead(C), 1.0)
        h.send(MeterRead(wh, 11000.0, 16.0), 0.01)
    for _ in range(300):  # EV full: state B, no power
        h.send(BoardRead(B), 1.0)
        h.send(MeterRead(wh, 0.0, 0.0), 0.01)
    for _ in range(200):  # stays in C but idles at 20 W (idle detection)
        h.send(BoardRead(C), 1.0)
        h.send(MeterRead(wh, 20.0, 0.1), 0.01)
    h.both(A, wh)
    h.both(A, wh)
    cuts = h.of(NewPeriod)
    assert len(cuts) == 1  # B without power and C at 20 W are both parking
    first = cuts[0].closed
    assert (first.kind, first.energy_wh, first.max_power_w) == (
        PeriodKind.CHARGING,
        1800,
        11000.0,
    )
    assert first.max_current_a == 16.0
    stop = next(a for a in h.log if isinstance(a, StopSession))
    final = stop.final_period
    assert (stop.session_id, final.kind, final.seq) == (sid, PeriodKind.PARKING, 1)
    assert first.end == final.start
    assert first.energy_wh + final.energy_wh == stop.meter_stop_wh - 1000
