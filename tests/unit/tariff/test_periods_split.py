"""Charging periods measured and split into slices, piece by piece.

Written for the survivors of mutation testing (tests/mutation/run.py): the
order checks name their period and reason; a split gives pieces that tile the
period (each ends where the next starts), share its volumes by time, carry the
energy charged before each, and never make an empty piece at a slice's edge.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from edge.ocpi import ChargingPeriod, TariffRestrictions
from edge.tariff import compute_cost
from edge.tariff.errors import TariffError
from edge.tariff.periods import Slice, measure_periods, split_slices
from tests.unit.tariff.builders import el, pc, tariff

UTC_ZONE = ZoneInfo("UTC")


def _z(hhmm: str) -> datetime:
    return datetime.fromisoformat(f"2024-01-15 {hhmm}").replace(tzinfo=UTC)


def period(start: str, **volumes: Any) -> ChargingPeriod:
    return ChargingPeriod.model_validate(
        {
            "start_date_time": _z(start),
            "dimensions": [
                {"type": k, "volume": Decimal(str(v))} for k, v in volumes.items()
            ],
        }
    )


def pieces(slices: list[Slice]) -> list[tuple[datetime, datetime, Decimal, Decimal]]:
    return [(s.start, s.end, s.energy_kwh, s.energy_before_kwh) for s in slices]


def split(
    periods: list[ChargingPeriod], end: str, *restrictions: TariffRestrictions
) -> list[Slice]:
    return split_slices(measure_periods(periods, _z(end)), list(restrictions), UTC_ZONE)


def test_energy_alone_makes_charging_time_however_little() -> None:
    [s] = measure_periods([period("10:00", ENERGY="0.5")], _z("10:30"))
    assert (s.time_h, s.parking_h) == (Decimal("0.5"), 0)
    [idle] = measure_periods([period("10:00", ENERGY=0)], _z("10:30"))
    assert (idle.time_h, idle.parking_h) == (0, Decimal("0.5"))


def test_periods_keep_their_index_and_the_energy_charged_before_them() -> None:
    periods = [
        period("10:00", ENERGY=1, TIME=1),
        period("11:00", ENERGY=2, TIME=1),
        period("12:00", ENERGY=3, TIME=1),
    ]
    slices = measure_periods(periods, _z("13:00"))
    assert [s.index for s in slices] == [0, 1, 2]
    assert [s.energy_before_kwh for s in slices] == [0, 1, 3]
    assert [s.end for s in slices] == [_z("11:00"), _z("12:00"), _z("13:00")]


def test_a_reservation_period_has_no_parking_time_either() -> None:
    [s] = measure_periods(
        [period("10:00", RESERVATION_TIME="0.5", PARKING_TIME="0.5")], _z("10:30")
    )
    assert (s.reservation_h, s.parking_h, s.time_h) == (Decimal("0.5"), 0, 0)


@pytest.mark.parametrize(
    ("periods", "end", "message"),
    [
        ([], "11:00", "charging_periods: at least one period is needed"),
        (
            [period("11:00", ENERGY=1)],
            "10:59",
            "charging_periods[0].start_date_time: not before the session end",
        ),
        (
            [period("10:00", ENERGY=1), period("10:00", ENERGY=1)],
            "11:00",
            "charging_periods[0].start_date_time: "
            "not before the next period's start_date_time",
        ),
        (
            [
                period("10:00", ENERGY=1),
                period("10:30", ENERGY=1),
                period("10:30", ENERGY=1),
            ],
            "11:00",
            "charging_periods[1].start_date_time: "
            "not before the next period's start_date_time",
        ),
        (
            [period("10:00", ENERGY=1), period("10:30", RESERVATION_TIME="0.5")],
            "11:00",
            "charging_periods[1]: reservation time after charging began",
        ),
    ],
)
def test_periods_out_of_order_say_which_and_why(periods, end, message) -> None:
    with pytest.raises(TariffError) as e:
        measure_periods(periods, _z(end))
    assert str(e.value) == message


def test_a_last_period_starting_at_the_session_end_is_kept_whole() -> None:
    periods = [period("10:00", ENERGY=4, TIME=1), period("11:00", ENERGY=2)]
    slices = split(periods, "11:00", TariffRestrictions(max_kwh=Decimal(5)))
    assert pieces(slices) == [
        (_z("10:00"), _z("11:00"), 4, 0),
        (_z("11:00"), _z("11:00"), 2, 4),
    ]
    t = tariff(el(pc("ENERGY", 1), max_kwh=5), el(pc("ENERGY", 2)))
    cost = compute_cost(t, periods, end=_z("11:00"), time_zone="UTC")
    # All of it priced as at its start (4 kWh before it: under the 5 kWh bound).
    assert cost.total_cost.excl_vat == Decimal("6.00")


def test_a_time_split_shares_the_volumes_and_tiles_the_period() -> None:
    slices = split(
        [period("10:00", ENERGY=20, TIME=2)],
        "12:00",
        TariffRestrictions(start_time="10:30"),
    )
    assert pieces(slices) == [
        (_z("10:00"), _z("10:30"), 5, 0),
        (_z("10:30"), _z("12:00"), 15, 5),
    ]
    assert [s.time_h for s in slices] == [Decimal("0.5"), Decimal("1.5")]
    assert {s.index for s in slices} == {0}


def test_a_one_kwh_period_is_split_at_a_half_kwh_bound() -> None:
    slices = split(
        [period("10:00", ENERGY=1, TIME=1)],
        "11:00",
        TariffRestrictions(max_kwh=Decimal("0.5")),
    )
    assert pieces(slices) == [
        (_z("10:00"), _z("10:30"), Decimal("0.5"), 0),
        (_z("10:30"), _z("11:00"), Decimal("0.5"), Decimal("0.5")),
    ]


def test_a_kwh_bound_at_a_period_edge_makes_no_empty_piece() -> None:
    periods = [period("10:00", ENERGY=10, TIME=1), period("11:00", ENERGY=10, TIME=1)]
    slices = split(periods, "12:00", TariffRestrictions(max_kwh=Decimal(10)))
    assert pieces(slices) == [
        (_z("10:00"), _z("11:00"), 10, 0),
        (_z("11:00"), _z("12:00"), 10, 10),
    ]


def test_reservation_time_is_shared_and_its_durations_count_from_the_booking() -> None:
    periods = [period("09:00", RESERVATION_TIME=1), period("10:00", ENERGY=6, TIME=1)]
    slices = split(periods, "11:00", TariffRestrictions(max_duration=1800))
    assert [(s.start, s.end, s.reservation_h) for s in slices] == [
        (_z("09:00"), _z("09:30"), Decimal("0.5")),
        (_z("09:30"), _z("10:00"), Decimal("0.5")),
        (_z("10:00"), _z("10:30"), 0),
        (_z("10:30"), _z("11:00"), 0),
    ]
    assert [s.energy_kwh for s in slices] == [0, 0, 3, 3]
