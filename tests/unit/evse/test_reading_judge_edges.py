"""The reading judge at its boundaries, and what it tells the operator.

Each limit is documented as "not higher than", "at least", "above": a reading
exactly on it must fall on the documented side. A rejection's detail is what
the log says once per episode: it must name the value that was wrong.
"""

from __future__ import annotations

import math

import pytest

from edge.evse.reading_judge import (
    Accept,
    JudgeLimits,
    JudgeState,
    Pending,
    Reason,
    Reject,
    Reset,
    Sample,
    judge,
)

# No rated power: the ceiling is the 500 W margin alone, which keeps the
# arithmetic exact (500 W x 36 s = 5 Wh). Resolution 2 Wh: 4 Wh of slack.
TINY = JudgeLimits(max_power_w=0.0, step_wh=2.0)
# 1200 W draws 1/3 Wh a second; a still register hides at most 2 x 1 + 10 Wh.
STILL = JudgeLimits(max_power_w=11_040.0, step_wh=1.0)


def run(samples, limits, state=None):
    state = state or JudgeState()
    verdicts = []
    for s in samples:
        state, v = judge(state, s, limits)
        verdicts.append(v)
    return state, verdicts


def primed(sample):
    return JudgeState(last=sample, seen_at=sample.read_at)


def test_a_new_meter_reading_zero_is_a_reading():
    state, verdicts = run([Sample(0.0, 1.0, 0.0), Sample(0.0, 2.0, 0.0)], TINY)
    assert verdicts == [Pending(), Accept(Sample(0.0, 2.0, 0.0))]
    assert state.counts == {}
    _, [v] = run([Sample(0.5, 3.0, 0.0)], TINY, state)
    assert v == Accept(Sample(0.5, 3.0, 0.0))


def test_a_rise_exactly_at_the_ceiling_is_believed_and_just_above_is_not():
    assert TINY.ceiling_w == 500.0
    base = primed(Sample(1000.0, 0.0, 0.0))
    at = 1000.0 + 5.0 + 2 * 2.0  # 36 s at 500 W, plus two steps of 2 Wh
    _, [ok] = run([Sample(at, 36.0, 0.0)], TINY, base)
    assert isinstance(ok, Accept)
    _, [no] = run([Sample(at + 0.01, 36.0, 0.0)], TINY, base)
    assert isinstance(no, Reject)
    assert no.reason is Reason.TOO_FAST
    assert no.detail == "rose 9 Wh in 36.0 s"


def test_a_reading_less_than_a_second_after_gets_less_than_a_seconds_rise():
    base = primed(Sample(1000.0, 10.0, 0.0))
    # 0.36 s at 500 W is 0.05 Wh; a second would be 0.139 Wh
    _, [v] = run([Sample(1000.0 + 4.0 + 0.1, 10.36, 0.0)], TINY, base)
    assert isinstance(v, Reject)
    assert v.reason is Reason.TOO_FAST
    _, [v] = run([Sample(1000.0 + 4.0 + 0.05, 10.36, 0.0)], TINY, base)
    assert isinstance(v, Accept)


def test_the_first_two_readings_may_differ_by_exactly_the_ceiling():
    first = Sample(1000.0, 0.0, 0.0)
    second = Sample(1000.0 + 5.0 + 4.0, 36.0, 0.0)
    _, verdicts = run([first, second], TINY)
    assert verdicts == [Pending(), Accept(second)]


def test_a_drop_of_exactly_the_reset_drop_may_be_a_new_meter():
    base = primed(Sample(5000.0, 0.0, 0.0))
    _, [v] = run([Sample(4000.0, 1.0, 0.0)], STILL, base)
    assert v == Reject(Reason.BACKWARDS, "1000 Wh lower (a new meter? 1/3)", True)
    _, [v] = run([Sample(4001.0, 1.0, 0.0)], STILL, base)
    assert v == Reject(Reason.BACKWARDS, "went back 999 Wh", first=True)
    new = [Sample(3000.0 + i, float(i), 0.0) for i in range(1, 4)]
    state, verdicts = run(new, STILL, base)
    assert [type(v) for v in verdicts] == [Reject, Reject, Reset]
    assert verdicts[1].detail == "1998 Wh lower (a new meter? 2/3)"
    assert state.resets == 1


def test_a_new_meter_needs_its_far_lower_readings_in_a_row():
    base = primed(Sample(50_000.0, 0.0, 0.0))
    samples = [
        Sample(100.0, 1.0, 0.0),
        Sample(101.0, 2.0, 0.0),
        Sample(50_000.5, 3.0, 0.0),  # the old meter answers again
        Sample(102.0, 4.0, 0.0),
    ]
    state, verdicts = run(samples, STILL, base)
    assert [type(v) for v in verdicts] == [Reject, Reject, Accept, Reject]
    assert verdicts[3].detail.endswith("(a new meter? 1/3)")
    assert state.resets == 0


def test_after_a_new_meter_the_rejection_episode_is_over():
    base = primed(Sample(50_000.0, 0.0, 0.0))
    new = [Sample(100.0 + i, 1.0 + i, 0.0) for i in range(3)]
    state, verdicts = run(new, STILL, base)
    assert isinstance(verdicts[-1], Reset)
    assert state.rejecting is None
    _, [v] = run([Sample(103.0, 4.0, 0.0)], STILL, state)
    assert v == Accept(Sample(103.0, 4.0, 0.0), recovered=None)
    _, [v] = run([Sample(90.0, 4.0, 0.0)], STILL, state)
    assert v == Reject(Reason.BACKWARDS, "went back 12 Wh", first=True)


def test_after_a_new_meter_a_still_register_is_watched_afresh():
    base = primed(Sample(50_000.0, 0.0, 0.0))
    new = [Sample(100.0, 1.0, 0.0), Sample(100.0, 2.0, 0.0), Sample(100.0, 3.0, 0.0)]
    state, verdicts = run(new, STILL, base)
    assert isinstance(verdicts[-1], Reset)
    # 36 s at 1200 W is 12 Wh, exactly what a still register may hide
    _, [v] = run([Sample(100.0, 39.0, 1200.0)], STILL, state)
    assert isinstance(v, Accept)


def test_a_still_register_may_hide_exactly_two_steps_and_the_slack():
    base = primed(Sample(1000.0, 0.0, 0.0))
    _, [v] = run([Sample(1000.0, 36.0, 1200.0)], STILL, base)
    assert isinstance(v, Accept)
    _, [v] = run([Sample(1000.0, 36.005, 1200.0)], STILL, base)
    assert isinstance(v, Reject)
    assert v.reason is Reason.STUCK
    assert v.detail == "still 1000 Wh while drawing 1200 W"


def test_a_register_that_just_moved_starts_with_nothing_hidden():
    base = primed(Sample(1000.0, 0.0, 0.0))
    moved = Sample(1001.0, 1.0, 1200.0)
    _, verdicts = run([moved, Sample(1001.0, 37.0, 1200.0)], STILL, base)
    assert verdicts == [Accept(moved), Accept(Sample(1001.0, 37.0, 1200.0))]


def test_idle_power_hides_nothing_even_between_draws():
    base = primed(Sample(1000.0, 0.0, 0.0))
    idle = Sample(1000.0, 1.0, STILL.stuck_power_w)  # at the threshold: idle
    samples = [idle, Sample(1000.0, 37.0, 1200.0)]
    _, verdicts = run(samples, STILL, base)
    assert all(isinstance(v, Accept) for v in verdicts)
    _, [v] = run([Sample(1000.0, 3600.0, STILL.stuck_power_w)], STILL, base)
    assert isinstance(v, Accept)


def test_fast_polls_hide_only_the_energy_of_their_own_time():
    base = primed(Sample(1000.0, 0.0, 0.0))
    # 60 polls 0.5 s apart at 1200 W: 10 Wh, less than the 12 Wh allowed
    polls = [Sample(1000.0, 0.5 * i, 1200.0) for i in range(1, 61)]
    _, verdicts = run(polls, STILL, base)
    assert all(isinstance(v, Accept) for v in verdicts)


def test_a_seeded_judge_does_not_count_the_unknown_time_as_stalled():
    seeded = JudgeState(last=Sample(5000.0, -math.inf))
    _, [v] = run([Sample(5000.0, 10.0, 11_000.0)], STILL, seeded)
    assert v == Accept(Sample(5000.0, 10.0, 11_000.0))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -3.0])
def test_a_not_finite_rejection_names_what_the_register_read(bad):
    base = primed(Sample(1000.0, 0.0, 0.0))
    _, [v] = run([Sample(bad, 1.0, 0.0)], STILL, base)
    assert v == Reject(Reason.NOT_FINITE, f"energy register reads {bad}", first=True)


def test_a_backwards_rejection_says_by_how_much():
    base = primed(Sample(1000.0, 0.0, 0.0))
    _, [v] = run([Sample(993.0, 1.0, 0.0)], STILL, base)
    assert v == Reject(Reason.BACKWARDS, "went back 7 Wh", first=True)


def test_a_new_episode_after_a_recovery_is_logged_again():
    base = primed(Sample(1000.0, 0.0, 0.0))
    samples = [
        Sample(math.nan, 1.0, 0.0),
        Sample(1000.0, 2.0, 0.0),
        Sample(math.nan, 3.0, 0.0),
        Sample(1000.0, 4.0, 0.0),
        Sample(1000.0, 5.0, 0.0),
    ]
    _, verdicts = run(samples, STILL, base)
    assert [v.first for v in verdicts[::2][:2]] == [True, True]
    assert verdicts[1] == Accept(Sample(1000.0, 2.0, 0.0), Reason.NOT_FINITE)
    assert verdicts[3] == Accept(Sample(1000.0, 4.0, 0.0), Reason.NOT_FINITE)
    assert verdicts[4] == Accept(Sample(1000.0, 5.0, 0.0), recovered=None)
