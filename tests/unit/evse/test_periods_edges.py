"""Period cuts at their edges: the cases mutation testing found untested.

Late in a session (monotonic time far from zero) the hold is measured from the
switch, and the cut goes where the switch began, in time and in energy.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from edge.evse.periods import advance
from edge.model.period import OpenPeriod, PeriodKind

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
HOLD = 60.0
LATE = 10_000.0  # seconds into the session


def at(s: float) -> datetime:
    return T0 + timedelta(seconds=s)


def charging() -> OpenPeriod:
    return OpenPeriod(1, T0, PeriodKind.CHARGING, 1000)


def test_a_switch_late_in_the_session_waits_for_its_hold():
    p, closed = advance(charging(), False, LATE, at(LATE), 5000, HOLD)
    assert closed is None
    assert (p.switch_to, p.switch_since, p.switch_wh) == (
        PeriodKind.PARKING,
        LATE,
        5000,
    )
    p, closed = advance(p, False, LATE + 1, at(LATE + 1), 5000, HOLD)
    assert closed is None  # one second is not the hold


def test_the_cut_goes_where_the_switch_began_once_it_held_exactly():
    p, _ = advance(charging(), False, LATE, at(LATE), 5000, HOLD)
    p, closed = advance(p, False, LATE + HOLD - 0.5, at(LATE + HOLD), 5001, HOLD)
    assert closed is None
    # the meter crept on while parked: the charging period ends at 5000 Wh
    p, closed = advance(p, False, LATE + HOLD, at(LATE + HOLD), 5003, HOLD)
    assert closed is not None
    assert (closed.kind, closed.end, closed.energy_wh) == (
        PeriodKind.CHARGING,
        at(LATE),
        4000,
    )
    assert (p.seq, p.kind, p.start, p.meter_start_wh) == (
        2,
        PeriodKind.PARKING,
        at(LATE),
        5000,
    )
    assert p.switch_to is None


def test_going_back_before_the_hold_forgets_the_switch():
    p, _ = advance(charging(), False, LATE, at(LATE), 5000, HOLD)
    p, closed = advance(p, True, LATE + 10, at(LATE + 10), 5100, HOLD)
    assert closed is None
    assert (p.switch_to, p.switch_since, p.switch_utc, p.switch_wh) == (
        None,
        None,
        None,
        None,
    )


GAP = 10.0  # the machine's device timeout: longer unseen, the EVSE was faulted


def test_a_switch_does_not_hold_across_time_it_was_not_watched():
    """Seen in a loaded simulation: the session's first reading showed 0 W (the
    EV had not ramped up yet), then the EVSE was faulted (stale polls) for 77 s,
    in which the EV took 42 Wh; the hold had 'passed' across that blind time and
    a PARKING period holding those 42 Wh was cut where the switch began."""
    p, _ = advance(charging(), False, LATE, at(LATE), 1000, HOLD, GAP)
    assert p.switch_to is PeriodKind.PARKING
    p, closed = advance(p, False, LATE + 77, at(LATE + 77), 1042, HOLD, GAP)
    assert closed is None  # without the gap rule: PARKING from LATE, 42 Wh in it
    assert (p.kind, p.switch_since, p.switch_utc, p.switch_wh) == (
        PeriodKind.CHARGING,
        LATE + 77,
        at(LATE + 77),
        1042,
    )
    p, closed = advance(p, True, LATE + 92, at(LATE + 92), 1042, HOLD, GAP)
    assert closed is None
    assert (p.kind, p.switch_to) == (PeriodKind.CHARGING, None)


def test_a_watched_switch_holds_and_cuts_where_it_began():
    p, _ = advance(charging(), False, LATE, at(LATE), 5000, HOLD, GAP)
    for t in range(5, 60, 5):  # seen every 5 s, within the gap
        p, closed = advance(p, False, LATE + t, at(LATE + t), 5001, HOLD, GAP)
        assert closed is None
    p, closed = advance(p, False, LATE + HOLD, at(LATE + HOLD), 5002, HOLD, GAP)
    assert closed is not None
    assert (closed.kind, closed.end, closed.energy_wh) == (
        PeriodKind.CHARGING,
        at(LATE),
        4000,
    )
    assert (p.kind, p.start, p.meter_start_wh) == (PeriodKind.PARKING, at(LATE), 5000)


def test_a_switch_seen_exactly_every_gap_is_watched():
    # "more than max_gap_s unseen" is blind: a reading every GAP seconds is not
    p, _ = advance(charging(), False, LATE, at(LATE), 5000, HOLD, GAP)
    for t in range(10, 60, 10):
        p, closed = advance(p, False, LATE + t, at(LATE + t), 5001, HOLD, GAP)
        assert closed is None
    p, closed = advance(p, False, LATE + HOLD, at(LATE + HOLD), 5002, HOLD, GAP)
    assert closed is not None
    assert (closed.end, closed.energy_wh) == (at(LATE), 4000)


def test_a_blind_gap_late_in_the_hold_also_begins_the_switch_again():
    # watched for 50 s, then unseen for 11 s (faulted): the hold is not 61 s
    p, _ = advance(charging(), False, LATE, at(LATE), 5000, HOLD, GAP)
    for t in range(5, 55, 5):
        p, closed = advance(p, False, LATE + t, at(LATE + t), 5001, HOLD, GAP)
        assert closed is None
    p, closed = advance(p, False, LATE + 61, at(LATE + 61), 5009, HOLD, GAP)
    assert closed is None
    assert (p.kind, p.switch_since, p.switch_wh) == (
        PeriodKind.CHARGING,
        LATE + 61,
        5009,
    )
