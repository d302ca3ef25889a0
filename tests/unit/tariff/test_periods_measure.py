"""A charging period's dimensions as the engine measures them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from edge.ocpi import ChargingPeriod
from edge.tariff.errors import TariffError
from edge.tariff.periods import measure_periods

START = "2024-01-15T10:00:00Z"
END = datetime(2024, 1, 15, 11, 0, tzinfo=UTC)


def period(**volumes: float) -> ChargingPeriod:
    return ChargingPeriod.model_validate(
        {
            "start_date_time": START,
            "dimensions": [{"type": k, "volume": v} for k, v in volumes.items()],
        }
    )


@pytest.mark.parametrize(
    ("given", "low", "high"),
    [
        ({"MIN_CURRENT": 6}, 6, 6),
        ({"CURRENT": 10}, 10, 10),
        ({"MAX_CURRENT": 16}, 16, 16),
        ({"MIN_CURRENT": 6, "MAX_CURRENT": 16}, 6, 16),
        ({"MIN_CURRENT": 6, "CURRENT": 10}, 6, 10),
        ({"CURRENT": 10, "MAX_CURRENT": 16}, 10, 16),
    ],
)
def test_a_current_bound_not_given_is_taken_from_the_nearest_one_given(
    given, low, high
):
    [s] = measure_periods([period(ENERGY=1, TIME=1, **given)], END)
    assert (s.current_low, s.current_high) == (Decimal(low), Decimal(high))
    power = {k.replace("CURRENT", "POWER"): v * 1000 for k, v in given.items()}
    [s] = measure_periods([period(ENERGY=1, TIME=1, **power)], END)
    assert (s.power_low, s.power_high) == (Decimal(low * 1000), Decimal(high * 1000))


def test_without_power_dimensions_the_power_is_the_energy_over_the_time():
    [s] = measure_periods([period(ENERGY=11, TIME=0.5)], END)
    assert (s.power_low, s.power_high) == (Decimal(22), Decimal(22))
    assert (s.current_low, s.current_high) == (None, None)


def test_a_reservation_period_bills_no_energy_and_no_time():
    [s] = measure_periods([period(RESERVATION_TIME=0.25, ENERGY=3, TIME=1)], END)
    assert s.reservation
    assert (s.energy_kwh, s.time_h, s.parking_h) == (0, 0, 0)
    assert s.reservation_h == Decimal("0.25")


def test_a_bad_dimension_names_the_period_it_is_in():
    good = period(ENERGY=1, TIME=1)
    twice = ChargingPeriod.model_validate(
        {
            "start_date_time": "2024-01-15T10:30:00Z",
            "dimensions": [
                {"type": "ENERGY", "volume": 1},
                {"type": "ENERGY", "volume": 2},
            ],
        }
    )
    with pytest.raises(TariffError) as e:
        measure_periods([good, twice], END)
    assert str(e.value) == (
        "charging_periods[1].dimensions: dimension ENERGY given twice"
    )
    with pytest.raises(TariffError) as e:
        measure_periods([period(PARKING_TIME=-1)], END)
    assert str(e.value) == (
        "charging_periods[0].dimensions: PARKING_TIME volume is negative"
    )
