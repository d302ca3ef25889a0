"""The simulated EV: current ramps to the limit, energy integrates exactly, states."""

from __future__ import annotations

import pytest

from hal_sim.ev import NOMINAL_V, SimEv


def ev(**kw):
    base = dict(
        id="ev",
        battery_wh=60_000,
        soc=0.3,
        energy_wanted_wh=30_000,
        max_current_a=32,
        phases=3,
    )
    base.update(kw)
    return SimEv(**base)


def test_current_ramps_up_to_the_offer_and_drops_at_once():
    car = ev(ramp_a_per_s=5.0)
    car.step(1.0, 16, relay_closed=True)
    assert car.current_a == pytest.approx(5.0)
    car.step(10.0, 16, relay_closed=True)
    assert car.current_a == pytest.approx(16.0)
    car.step(0.5, 10, relay_closed=True)  # the limit went down: follow it
    assert car.current_a == pytest.approx(13.5)
    car.step(1.0, 16, relay_closed=False)
    assert car.current_a == 0.0


@pytest.mark.parametrize("phases", [1, 3])
def test_energy_over_a_ramp_does_not_depend_on_the_step_length(phases):
    coarse, fine = ev(phases=phases), ev(phases=phases)
    taken_coarse = coarse.step(20.0, 16, True)
    taken_fine = sum(fine.step(0.01, 16, True) for _ in range(2000))
    assert taken_coarse == pytest.approx(taken_fine, rel=1e-9)
    # 3.2 s of ramp to 16 A (average 8 A), then 16.8 s at 16 A
    amp_seconds = 8 * 3.2 + 16 * 16.8
    assert taken_coarse == pytest.approx(amp_seconds * NOMINAL_V * phases / 3600)
    assert coarse.phase_currents() == ((16.0,) * 3 if phases == 3 else (16, 0, 0))


def test_states_b_c_d_and_no_charging_below_six_amps():
    car = ev(ventilation=True)
    assert car.cp_state == "D"
    assert car.step(60, 5.9, True) == 0.0
    car = ev(energy_wanted_wh=100)
    assert car.cp_state == "C"
    assert car.step(3600, 16, True) == pytest.approx(100)
    assert car.cp_state == "B"
    assert car.current_a == 0.0


def test_a_nearly_full_battery_tapers():
    car = ev(soc=0.95, ramp_a_per_s=0)
    car.step(1.0, 32, True)
    assert car.current_a == pytest.approx(32 * 0.25)
