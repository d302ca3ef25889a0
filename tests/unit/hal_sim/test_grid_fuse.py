"""The simulated main breaker against the IEC 60898-1 type B conventions."""

from __future__ import annotations

import math

import pytest

from hal_sim.grid_fuse import Breaker, BreakerState, Closed, Tripped, cold_trip_time_s


def run(multiple: float, seconds: float, dt: float = 1.0) -> tuple[BreakerState, float]:
    breaker = Breaker(40.0)
    state: BreakerState = Closed()
    t = 0.0
    while t < seconds and isinstance(state, Closed):
        t += dt
        state = breaker.step(state, (40.0 * multiple, 0.0, 10.0), dt, t)
    return state, t


def test_rated_and_non_tripping_currents_hold_for_an_hour() -> None:
    for multiple in (1.0, 1.13):
        state, _ = run(multiple, 3600.0)
        assert isinstance(state, Closed), multiple


def test_conventional_tripping_current_trips_within_an_hour() -> None:
    state, t = run(1.45, 3600.0)
    assert isinstance(state, Tripped)
    assert state.element == "thermal"
    # From cold: -180 ln(1 - 1.69 / 1.45²) = 293 s, to the 1 s step.
    assert t == pytest.approx(cold_trip_time_s(1.45), abs=1.0)
    assert cold_trip_time_s(1.45) == pytest.approx(293.2, abs=0.5)


def test_two_and_a_half_times_trips_between_1_and_60_seconds() -> None:
    state, t = run(2.55, 120.0, dt=0.1)
    assert isinstance(state, Tripped)
    assert 1.0 <= t <= 60.0


def test_magnetic_trip_at_five_times_not_at_three() -> None:
    state, t = run(5.0, 1.0, dt=0.01)
    assert state == Tripped(0.01, "magnetic")
    assert t == pytest.approx(0.01)
    state, _ = run(3.0, 0.1, dt=0.01)
    assert isinstance(state, Closed)


def test_a_warm_breaker_trips_sooner_and_cools_down() -> None:
    breaker = Breaker(40.0)
    warm = breaker.step(Closed(), (52.0, 0.0, 0.0), 200.0, 200.0)  # 1.3 In
    assert isinstance(warm, Closed)
    assert warm.heat[0] > 1.0
    cooled = breaker.step(warm, (0.0, 0.0, 0.0), 3600.0, 3800.0)
    assert isinstance(cooled, Closed)
    assert cooled.heat[0] < 1e-6
    # 1.45 In for 180 s: from cold it takes 293 s.
    tripped = breaker.step(warm, (58.0, 0.0, 0.0), 180.0, 380.0)
    assert isinstance(tripped, Tripped)
    assert math.isinf(cold_trip_time_s(1.13))


def test_a_tripped_breaker_stays_open() -> None:
    breaker = Breaker(40.0)
    state = breaker.step(Closed(), (400.0, 0.0, 0.0), 0.1, 5.0)
    assert state == Tripped(5.0, "magnetic")
    assert breaker.step(state, (0.0, 0.0, 0.0), 10.0, 15.0) == state
