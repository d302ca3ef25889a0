"""Restriction edge cases: midnight wrap, local weekday, DST, dates, kWh, power."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from edge.ocpi import DayOfWeek, Tariff, TariffRestrictions
from edge.tariff import compute_cost
from edge.tariff.restrictions import Moment, Phase, restrictions_hold
from tests.unit.tariff.builders import Session, at, el, pc, tariff

AMS = "Europe/Amsterdam"
NIGHT_2_DAY_1 = tariff(
    el(pc("TIME", 2.00), start_time="22:00", end_time="06:00"),
    el(pc("TIME", 1.00)),
)


def _moment(local: str, zone: str = "UTC", **kw: Decimal) -> Moment:
    return Moment(
        at=at(local, zone),
        zone=ZoneInfo(zone),
        phase=Phase.CHARGING,
        energy_kwh=Decimal(0),
        duration_s=Decimal(0),
        **kw,
    )


def _total(t: Tariff, session: Session, zone: str = "UTC") -> Decimal:
    cost = compute_cost(t, session.periods, end=session.stop, time_zone=zone)
    return cost.total_cost.excl_vat


@pytest.mark.parametrize(
    ("clock", "holds"),
    [
        ("21:59:59", False),
        ("22:00:00", True),
        ("23:59:59", True),
        ("00:00:00", True),
        ("05:59:59", True),
        ("06:00:00", False),
        ("12:00:00", False),
    ],
)
def test_window_wrapping_past_midnight(clock: str, holds: bool) -> None:
    r = TariffRestrictions(start_time="22:00", end_time="06:00")
    assert restrictions_hold(r, _moment(f"2024-01-15 {clock}")) is holds


@pytest.mark.parametrize(
    ("start", "end", "clock", "holds"),
    [
        ("20:00", "00:00", "23:59:59", True),
        ("20:00", "00:00", "00:00:00", False),
        ("20:00", "00:00", "19:59:59", False),
        ("08:00", "08:00", "03:00:00", True),
        (None, "09:00", "08:59:00", True),
        (None, "09:00", "09:00:00", False),
        ("09:00", None, "08:59:00", False),
        ("09:00", None, "23:00:00", True),
    ],
)
def test_window_edges(
    start: str | None, end: str | None, clock: str, holds: bool
) -> None:
    r = TariffRestrictions(start_time=start, end_time=end)
    assert restrictions_hold(r, _moment(f"2024-01-15 {clock}")) is holds


def test_night_window_prices_an_unsplit_period_across_22_00() -> None:
    session = Session(at("2024-01-15 21:00")).charge(120, 10)
    assert _total(NIGHT_2_DAY_1, session) == Decimal("3.00")


def test_night_window_prices_an_unsplit_period_across_06_00() -> None:
    session = Session(at("2024-01-16 05:00")).charge(120, 10)
    assert _total(NIGHT_2_DAY_1, session) == Decimal("3.00")


def test_night_window_is_in_local_time() -> None:
    # 20:30-21:30 UTC is 21:30-22:30 in Amsterdam (winter, UTC+1).
    session = Session(at("2024-01-15 21:30", AMS)).charge(60, 5)
    assert _total(NIGHT_2_DAY_1, session, AMS) == Decimal("1.50")
    assert _total(NIGHT_2_DAY_1, session, "UTC") == Decimal("1.00")


def test_day_of_week_flips_at_local_midnight() -> None:
    weekend = tariff(
        el(pc("TIME", 3.00), day_of_week=["SATURDAY", "SUNDAY"]), el(pc("TIME", 1.00))
    )
    # Friday 23:30 to Saturday 00:30 in Amsterdam, all of it Friday in UTC.
    session = Session(at("2024-01-19 23:30", AMS)).charge(60, 5)
    assert session.start.weekday() == session.stop.weekday() == 4
    assert _total(weekend, session, AMS) == Decimal("2.00")
    assert _total(weekend, session, "UTC") == Decimal("1.00")


def test_day_of_week_before_and_after_midnight_exactly() -> None:
    r = TariffRestrictions(day_of_week=[DayOfWeek.SATURDAY])
    assert not restrictions_hold(r, _moment("2024-01-19 23:59:59", AMS))
    assert restrictions_hold(r, _moment("2024-01-20 00:00:00", AMS))


def test_spring_forward_window_in_real_hours() -> None:
    # 2024-03-31: Amsterdam clocks go 02:00 -> 03:00. Local 00:00-05:00 is 4 real
    # hours; the 01:00-04:00 window is 2 of them (00:00-02:00 UTC).
    t = tariff(
        el(pc("TIME", 2.00), start_time="01:00", end_time="04:00"), el(pc("TIME", 1))
    )
    start, stop = at("2024-03-31 00:00", AMS), at("2024-03-31 05:00", AMS)
    assert stop - start == timedelta(hours=4)
    session = Session(start).charge(240, 20)
    assert _total(t, session, AMS) == Decimal("6.00")


def test_spring_forward_window_starting_in_the_skipped_hour() -> None:
    # 02:30 never happens that day; the window opens when the clock jumps to 03:00
    # (01:00 UTC) and closes at 04:00 (02:00 UTC): 1 real hour at 2.00.
    t = tariff(
        el(pc("TIME", 2.00), start_time="02:30", end_time="04:00"), el(pc("TIME", 1))
    )
    session = Session(at("2024-03-31 00:00", AMS)).charge(240, 20)
    assert _total(t, session, AMS) == Decimal("5.00")


def test_fall_back_window_in_real_hours() -> None:
    # 2024-10-27: clocks go 03:00 -> 02:00. Local 00:00-05:00 is 6 real hours and
    # the 01:00-04:00 window 4 of them.
    t = tariff(
        el(pc("TIME", 2.00), start_time="01:00", end_time="04:00"), el(pc("TIME", 1))
    )
    start = at("2024-10-27 00:00", AMS)
    stop = datetime(2024, 10, 27, 4, 0, tzinfo=UTC)
    assert stop.astimezone(ZoneInfo(AMS)).hour == 5
    session = Session(start).charge(360, 30)
    assert session.stop == stop
    assert _total(t, session, AMS) == Decimal("10.00")


def test_dates_are_local_and_end_date_is_exclusive() -> None:
    new_year = tariff(
        el(pc("ENERGY", 0.50), start_date="2025-01-01", end_date="2025-01-02"),
        el(pc("ENERGY", 0.10)),
    )
    # 23:00 local on 31 Dec to 01:00 on 2 Jan, 10 kWh per hour: 24 h at 0.50.
    session = Session(at("2024-12-31 23:00", AMS)).charge(26 * 60, 260)
    assert _total(new_year, session, AMS) == Decimal("2.00") + Decimal("120.00")


def test_kwh_tiers_split_a_single_period_at_the_threshold() -> None:
    tiers = tariff(el(pc("ENERGY", 0.10), max_kwh=10), el(pc("ENERGY", 0.30)))
    session = Session(at("2024-01-15 10:00")).charge(60, 20)
    assert _total(tiers, session) == Decimal("4.00")
    cost = compute_cost(tiers, session.periods, end=session.stop, time_zone="UTC")
    assert [line.start for line in cost.lines] == [
        at("2024-01-15 10:00"),
        at("2024-01-15 10:30"),
    ]


def test_min_kwh_counts_energy_of_earlier_periods() -> None:
    bonus = tariff(el(pc("ENERGY", 0.05), min_kwh=30), el(pc("ENERGY", 0.30)))
    session = Session(at("2024-01-15 10:00")).charge(60, 20).charge(60, 20)
    assert _total(bonus, session) == Decimal("30") * Decimal("0.30") + Decimal("0.50")


def test_current_restriction_without_current_data_does_not_hold() -> None:
    t = tariff(el(pc("TIME", 5.00), min_current=0), el(pc("TIME", 1.00)))
    without = Session(at("2024-01-15 10:00")).charge(60, 5)
    with_current = Session(at("2024-01-15 10:00")).charge(60, 5, min_current=6)
    assert _total(t, without) == Decimal("1.00")
    assert _total(t, with_current) == Decimal("5.00")


def test_max_current_uses_the_highest_known_current() -> None:
    r = TariffRestrictions(max_current=Decimal(32))
    low = _moment("2024-01-15 10:00", current_low=Decimal(10), current_high=Decimal(31))
    high = _moment(
        "2024-01-15 10:00", current_low=Decimal(10), current_high=Decimal(32)
    )
    assert restrictions_hold(r, low)
    assert not restrictions_hold(r, high)


def test_power_falls_back_to_average_of_the_period() -> None:
    tp = tariff(el(pc("ENERGY", 0.20), max_power=16), el(pc("ENERGY", 0.50)))
    slow = Session(at("2024-01-15 10:00")).charge(60, 10)  # 10 kW average
    fast = Session(at("2024-01-15 10:00")).charge(60, 20)  # 20 kW average
    assert _total(tp, slow) == Decimal("2.00")
    assert _total(tp, fast) == Decimal("10.00")


def test_min_duration_splits_a_single_period() -> None:
    overstay = tariff(el(pc("TIME", 5.00), min_duration=3600), el(pc("TIME", 1.00)))
    session = Session(at("2024-01-15 10:00")).charge(90, 10)
    assert _total(overstay, session) == Decimal("3.50")


def test_duration_counts_from_charging_not_from_reservation() -> None:
    t = tariff(
        el(pc("ENERGY", 1.00), max_duration=1800),
        el(pc("ENERGY", 0.10)),
        el(pc("TIME", 0), reservation="RESERVATION"),
    )
    session = Session(at("2024-01-15 10:00")).reserve(60).charge(30, 10)
    assert _total(t, session) == Decimal("10.00")


def test_reservation_elements_never_price_charging() -> None:
    t = tariff(el(pc("FLAT", 9.00), reservation="RESERVATION"), el(pc("ENERGY", 0.25)))
    session = Session(at("2024-01-15 10:00")).charge(60, 20)
    assert _total(t, session) == Decimal("5.00")


def test_window_without_end_time_closes_at_local_midnight() -> None:
    # Found by Hypothesis: 'from 01:00' means 01:00 until the end of the day.
    late = tariff(el(pc("ENERGY", 0.45), start_time="01:00"), el(pc("ENERGY", 0)))
    session = Session(at("2024-01-01 23:00")).charge(120, 2)
    assert _total(late, session) == Decimal("0.45")


def test_kwh_bound_is_exact_after_splitting() -> None:
    # Found by Hypothesis: 5.1 / 13.862 * 13.862 is not exactly 5.1 in Decimal.
    free_after = tariff(
        el(pc("ENERGY", 0), min_kwh=Decimal("5.1")), el(pc("ENERGY", 0.01))
    )
    session = Session(at("2024-01-01 00:00")).charge(1, "13.862")
    assert _total(free_after, session) == Decimal("0.051")
