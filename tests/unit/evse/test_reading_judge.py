"""The meter reading judge: what is believed, what is not, and why."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from edge.evse.reading_judge import (
    Accept,
    JudgeLimits,
    JudgeState,
    Pending,
    Reason,
    Reject,
    Repeat,
    Reset,
    Sample,
    judge,
)

# 3 x 16 A x 230 V = 11 kW; the rate check allows 11 kW x 1.1 + 500 W.
LIMITS = JudgeLimits(max_power_w=11_040.0, step_wh=10.0)


def run(samples, limits=LIMITS, state=None):
    state = state or JudgeState()
    verdicts = []
    for s in samples:
        state, v = judge(state, s, limits)
        verdicts.append(v)
    return state, verdicts


def charging(start_wh, t0, n, power_w=11_000.0, dt=1.0):
    """``n`` readings of a meter counting at ``power_w``."""
    return [
        Sample(start_wh + power_w * dt * i / 3600, t0 + dt * i, power_w)
        for i in range(n)
    ]


def primed(sample):
    """A judge that believes ``sample``."""
    return JudgeState(last=sample, seen_at=sample.read_at)


def test_the_baseline_is_two_readings_plausible_together():
    state, verdicts = run([Sample(5000.0, 1.0, 0.0), Sample(5001.0, 2.0, 0.0)])
    assert verdicts == [Pending(), Accept(Sample(5001.0, 2.0, 0.0))]
    assert state.last == Sample(5001.0, 2.0, 0.0)


def test_a_glitch_at_start_up_is_not_the_baseline():
    first = Sample(1e12, 1.0, 0.0)
    state, verdicts = run([first, *charging(5000.0, 2.0, 3)])
    assert verdicts[:3] == [Pending(), Pending(), Accept(charging(5000.0, 2.0, 2)[1])]
    assert state.last.energy_wh < 6000
    assert state.counts == {}


def test_a_jump_of_a_million_kwh_is_rejected_and_the_true_readings_go_on():
    good = charging(5000.0, 0.0, 3)
    jump = Sample(good[-1].energy_wh + 1e9, 3.0, 11_000.0)
    after = charging(good[-1].energy_wh + 11_000 * 2 / 3600, 4.0, 3)
    state, verdicts = run([*good, jump, *after])
    assert verdicts[3] == Reject(Reason.TOO_FAST, verdicts[3].detail, first=True)
    assert all(isinstance(v, Accept) for v in verdicts[4:])
    assert verdicts[4].recovered is Reason.TOO_FAST
    assert state.last == after[-1]
    assert dict(state.counts) == {Reason.TOO_FAST: 1}


def test_the_rate_limit_is_the_evse_power_over_the_time_since_the_last_good():
    base = primed(Sample(1000.0, 0.0, 0.0))
    ceiling_wh = LIMITS.ceiling_w * 10 / 3600  # 10 s at the ceiling
    _, [ok] = run([Sample(1000.0 + ceiling_wh, 10.0, 11_000.0)], state=base)
    assert isinstance(ok, Accept)
    over = 1000.0 + ceiling_wh + 2 * LIMITS.step_wh + 1
    _, [no] = run([Sample(over, 10.0, 11_000.0)], state=base)
    assert isinstance(no, Reject)
    assert no.reason is Reason.TOO_FAST


def test_nan_inf_and_negative_are_not_finite_and_logged_once_per_episode():
    base = primed(Sample(1000.0, 0.0, 0.0))
    bad = [Sample(x, float(t), 0.0) for t, x in enumerate([math.nan, math.inf], 1)]
    bad.append(Sample(-5.0, 3.0, 0.0))
    state, verdicts = run([*bad, Sample(1000.0, 4.0, 0.0)], state=base)
    verdicts.insert(0, None)
    rejects = verdicts[1:4]
    assert [r.reason for r in rejects] == [Reason.NOT_FINITE] * 3
    assert [r.first for r in rejects] == [True, False, False]
    assert verdicts[4] == Accept(Sample(1000.0, 4.0, 0.0), Reason.NOT_FINITE)
    assert state.counts == {Reason.NOT_FINITE: 3}


def test_a_register_running_backwards_is_rejected_until_it_reaches_the_last_good():
    base = primed(Sample(1000.0, 0.0, 0.0))
    back = [Sample(1000.0 - i, float(i), 0.0) for i in range(1, 6)]
    state, verdicts = run([*back, Sample(1001.0, 6.0, 0.0)], state=base)
    verdicts.insert(0, None)
    assert [v.reason for v in verdicts[1:6]] == [Reason.BACKWARDS] * 5
    assert isinstance(verdicts[6], Accept)
    assert state.last.energy_wh == 1001.0
    assert state.resets == 0


def test_a_register_running_far_backwards_is_never_taken_for_a_new_meter():
    base = primed(Sample(100_000.0, 0.0, 0.0))
    back = [Sample(90_000.0 - 10 * i, float(i), 0.0) for i in range(1, 20)]
    state, verdicts = run(back, state=base)
    assert all(isinstance(v, Reject) for v in verdicts)
    assert state.resets == 0


def test_a_new_meter_is_confirmed_after_consecutive_plausible_readings():
    old = charging(1_000_000.0, 0.0, 3)
    new = charging(20.0, 3.0, 4)
    state, verdicts = run([*old, *new])
    assert [type(v) for v in verdicts[3:]] == [Reject, Reject, Reset, Accept]
    assert verdicts[5] == Reset(old[-1], new[2])
    assert state.resets == 1
    assert state.last == new[-1]


def test_a_glitch_inside_the_new_meter_run_starts_the_count_again():
    old = [Sample(999_999.0, -1.0, 0.0), Sample(1_000_000.0, 0.0, 0.0)]
    run_ = [
        Sample(20.0, 1.0, 0.0),
        Sample(21.0, 2.0, 0.0),
        Sample(math.nan, 3.0, 0.0),
        Sample(22.0, 4.0, 0.0),
        Sample(23.0, 5.0, 0.0),
        Sample(24.0, 6.0, 0.0),
    ]
    _, verdicts = run(old + run_)
    assert [type(v) for v in verdicts[2:]] == [Reject] * 5 + [Reset]


def test_a_stuck_register_is_rejected_while_the_power_says_energy_flows():
    base = primed(Sample(1000.0, 0.0, 11_000.0))
    # 11 kW is ~3 Wh/s: 2 steps of 10 Wh + 10 Wh of slack last ~10 s.
    still = [Sample(1000.0, float(t), 11_000.0) for t in range(1, 16)]
    state, verdicts = run(still, state=base)
    reasons = [v.reason if isinstance(v, Reject) else None for v in verdicts]
    assert reasons[:9] == [None] * 9
    assert set(reasons[10:]) == {Reason.STUCK}
    # the EV stops drawing (the contactor opened): a still register is right
    _, [v] = run([Sample(1000.0, 16.0, 0.0)], state=state)
    assert v == Accept(Sample(1000.0, 16.0, 0.0), Reason.STUCK)


def test_a_still_register_at_idle_power_or_without_power_is_fine():
    samples = [Sample(1000.0, float(t), 50.0) for t in range(100)]
    samples += [Sample(1000.0, float(t), None) for t in range(100, 200)]
    _, verdicts = run(samples)
    assert all(isinstance(v, Accept) for v in verdicts[1:])


def test_a_reading_not_read_again_is_a_repeat_and_judged_once():
    state, [a, b] = run([Sample(1000.0, 1.0, 0.0), Sample(1e12, 1.0, 0.0)])
    assert a == Pending()
    assert b == Repeat()
    assert state.counts == {}


def test_a_float_register_resolution_grows_with_its_value():
    limits = JudgeLimits(11_040.0, step_wh=10.0, relative_step=2.0**-23)
    assert limits.resolution_wh(1000.0) == 10.0
    assert limits.resolution_wh(1e9) == 1e9 * 2.0**-23


def test_a_seeded_judge_takes_any_rise_but_not_a_fall():
    seeded = JudgeState(last=Sample(5000.0, -math.inf))
    _, [v] = run([Sample(6000.0, 10.0, 11_000.0)], state=seeded)
    assert isinstance(v, Accept)
    _, [v] = run([Sample(4990.0, 10.0, 0.0)], state=seeded)
    assert isinstance(v, Reject)
    assert v.reason is Reason.BACKWARDS


ENERGY = st.one_of(
    st.floats(0, 2e9),
    st.sampled_from([math.nan, math.inf, -math.inf, -1.0, 1e12]),
)


@given(
    st.lists(
        st.tuples(
            ENERGY, st.floats(0.01, 100), st.one_of(st.none(), st.floats(0, 2e4))
        ),
        max_size=40,
    )
)
def test_what_is_believed_is_always_finite_monotonic_and_within_the_rate(steps):
    state = JudgeState()
    t = 0.0
    believed: list[Sample] = []
    for energy, dt, power in steps:
        t += dt
        before = state
        state, v = judge(state, Sample(energy, t, power), LIMITS)
        total = sum(state.counts.values())
        assert total - sum(before.counts.values()) == int(isinstance(v, Reject))
        if isinstance(v, Accept):
            s = v.sample
            assert math.isfinite(s.energy_wh)
            assert s.energy_wh >= 0
            if believed:
                prev = believed[-1]
                assert s.energy_wh >= prev.energy_wh
                rise = s.energy_wh - prev.energy_wh
                allowed = LIMITS.ceiling_w * (s.read_at - prev.read_at) / 3600
                assert rise <= allowed + 2 * LIMITS.resolution_wh(s.energy_wh)
            believed.append(s)
        elif isinstance(v, Reset):
            assert v.last_good == (believed[-1] if believed else None)
            assert v.last_good.energy_wh - v.baseline.energy_wh >= LIMITS.reset_drop_wh
            believed.append(v.baseline)
        assert state.last == (believed[-1] if believed else None)


def test_the_rate_check_allows_for_read_times_a_little_off_but_not_a_glitch():
    # read times stamped at the end of a poll: two 5 s apart may be 20 s of flow
    slack = JudgeLimits(max_power_w=11_040.0, step_wh=10.0, time_slack_s=20.0)
    base = primed(Sample(1000.0, 0.0, 0.0))
    late = Sample(1000.0 + 11_040 * 20 / 3600, 5.0, 11_000.0)
    _, [strict] = run([late], state=base)
    assert isinstance(strict, Reject)
    _, [ok] = run([late], limits=slack, state=base)
    assert isinstance(ok, Accept)
    _, [glitch] = run([Sample(1e9, 5.0, 11_000.0)], limits=slack, state=base)
    assert isinstance(glitch, Reject)
    assert glitch.reason is Reason.TOO_FAST
