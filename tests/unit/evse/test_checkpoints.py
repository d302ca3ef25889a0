"""Checkpoints of a running session: on the site-wide boundaries, and only news."""

from __future__ import annotations

from datetime import timedelta

from edge.evse.actions import Checkpoint, NewPeriod
from edge.evse.events import BoardRead, MeterRead
from edge.evse.machine_state import ActiveSession
from edge.evse.state_machine import initial_state
from edge.evse.states import CpState
from edge.model.period import PeriodKind

from .harness import T0, Harness

C = CpState.C


def poll(h: Harness, wh: int, power_w: float, at: float) -> None:
    """Board then meter, the meter's reading at ``at`` site seconds after T0."""
    h.now = at
    h.send(BoardRead(C))
    h.send(MeterRead(wh, power_w, 16.0))


def test_a_resumed_session_checkpoints_from_the_next_boundary_on() -> None:
    # T0 is 06:00 UTC; the boundaries are every 900 s of UTC (06:15, 06:30, ...)
    resumed = ActiveSession("S-1", 1000, "AA11", None, 0.0)
    h = Harness(state=initial_state(0.0, resumed=resumed))
    poll(h, 1500, 7000.0, 1.0)
    poll(h, 1502, 7000.0, 2.0)
    for t in range(3, 900, 60):  # charging on, up to just before 06:15
        poll(h, 1500 + 2 * t, 7000.0, float(t))
    assert h.of(Checkpoint) == []  # resumed at 06:00:01: not at once
    poll(h, 3300, 7000.0, 900.0)  # 06:15:00 exactly
    [point] = h.of(Checkpoint)
    assert (point.session_id, point.meter_wh) == ("S-1", 3300)
    period = point.period
    assert (period.seq, period.kind) == (0, PeriodKind.CHARGING)
    assert period.start == T0 + timedelta(seconds=1.0)
    assert period.meter_start_wh == 1500
    # the EV is full: nothing new by 06:30, no write
    for t in range(960, 1800, 60):
        poll(h, 3300, 0.0, float(t))
    poll(h, 3300, 0.0, 1800.0)
    assert len(h.of(Checkpoint)) == 1
    # it draws again: the 06:45 checkpoint has the new reading
    for t in range(1860, 2700, 60):
        poll(h, 3300 + t - 1800, 7000.0, float(t))
    poll(h, 4300, 7000.0, 2700.0)
    assert [p.meter_wh for p in h.of(Checkpoint)] == [3300, 4300]


def test_an_ev_drawing_only_idle_power_is_parking_after_the_hold() -> None:
    resumed = ActiveSession("S-2", 1000, "AA11", None, 0.0)
    h = Harness(state=initial_state(0.0, resumed=resumed))
    for t in range(1, 30):
        poll(h, 1000 + t, 7000.0, float(t))
    assert h.of(NewPeriod) == []
    idle = h.cfg.idle_power_w  # exactly at the threshold: not drawing
    for t in range(30, 100):
        poll(h, 1029, idle, float(t))
    [switch] = h.of(NewPeriod)
    assert (switch.session_id, switch.meter_wh) == ("S-2", 1029)
    assert (switch.closed.kind, switch.closed.energy_wh) == (PeriodKind.CHARGING, 28)
    assert (switch.opened.seq, switch.opened.kind) == (1, PeriodKind.PARKING)
    assert switch.opened.meter_start_wh == 1029
    assert switch.closed.end == switch.opened.start
