"""TariffRestrictions at their boundaries (OCPI 2.2.1), and the split points exactly.

Written for the survivors of mutation testing (tests/mutation/run.py). The
time-of-day window is checked against an independent formula (the minutes
walked forward from start_time, wrapping at midnight); every min_*/max_* bound
against "min inclusive, max exclusive"; and the split points that
``local_instants``/``duration_instants`` return are compared as whole sets,
strictly inside the slice, through DST changes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.ocpi import DayOfWeek, TariffRestrictions
from edge.tariff import compute_cost
from edge.tariff.restrictions import (
    Moment,
    Phase,
    duration_instants,
    local_instants,
    restrictions_hold,
)
from tests.unit.tariff.builders import Session, at, el, pc, tariff

AMS = ZoneInfo("Europe/Amsterdam")
DAY = 24 * 60


def _z(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _moment(
    when: datetime,
    zone: ZoneInfo = AMS,
    energy: str = "0",
    duration: str = "0",
    **kw: Decimal,
) -> Moment:
    return Moment(when, zone, Phase.CHARGING, Decimal(energy), Decimal(duration), **kw)


def _minutes(hhmm: str | None, default: int) -> int:
    if hhmm is None:
        return default
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


clock = st.builds(
    lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59)
)


@settings(max_examples=200, deadline=None)
@given(
    start=st.none() | clock,
    end=st.none() | clock,
    now_s=st.integers(0, DAY * 60 - 1),
)
def test_the_window_is_the_minutes_walked_from_start_to_end(start, end, now_s) -> None:
    # start_time inclusive, end_time exclusive; an end before the start wraps past
    # midnight, 00:00 (or none) ends at midnight, equal bounds cover the whole day.
    begin = _minutes(start, 0)
    span = (_minutes(end, 0) - begin) % DAY or DAY
    inside = (now_s / 60 - begin) % DAY < span
    r = TariffRestrictions(start_time=start, end_time=end)
    now = datetime(2024, 1, 15, tzinfo=AMS) + timedelta(seconds=now_s)
    assert restrictions_hold(r, _moment(now.astimezone(UTC))) is inside


@pytest.mark.parametrize(
    ("start", "end", "local", "holds"),
    [
        ("10:30", "11:00", time(10, 29, 59), False),
        ("10:30", "11:00", time(10, 30), True),
        ("10:30", "10:45", time(10, 45), False),
        (None, "09:00", time(0, 0), True),
        (None, "09:00", time(0, 0, 30), True),
        ("00:00", "00:00", time(0, 0), True),
        ("23:30", "00:30", time(0, 15), True),
        ("23:30", "00:30", time(0, 30), False),
    ],
)
def test_window_bounds_to_the_minute(start, end, local, holds) -> None:
    r = TariffRestrictions(start_time=start, end_time=end)
    when = datetime.combine(date(2024, 1, 15), local, tzinfo=AMS)
    assert restrictions_hold(r, _moment(when.astimezone(UTC))) is holds


BOUNDS = ("kwh", "current", "power", "duration")
value = st.decimals(min_value=0, max_value=100, places=1)


def _holding(field: str, v: Decimal, lo: Decimal | None, hi: Decimal | None) -> bool:
    whole = field == "duration"  # int seconds in OCPI
    bounds = ((f"min_{field}", lo), (f"max_{field}", hi))
    r = TariffRestrictions.model_validate(
        {k: int(b) if whole else b for k, b in bounds if b is not None}
    )
    when = _z("2024-01-15 10:00")
    if field == "kwh":
        m = _moment(when, energy=str(v))
    elif field == "duration":
        m = _moment(when, duration=str(v))
    else:
        m = _moment(when, **{f"{field}_low": v, f"{field}_high": v})
    return restrictions_hold(r, m)


@settings(max_examples=150, deadline=None)
@given(
    field=st.sampled_from(BOUNDS),
    v=value,
    lo=st.none() | value,
    hi=st.none() | value,
)
def test_min_is_inclusive_and_max_exclusive_for_every_bound(field, v, lo, hi) -> None:
    if field == "duration":  # whole seconds (int in OCPI)
        lo, hi = (None if b is None else b.to_integral_value() for b in (lo, hi))
    expected = (lo is None or v >= lo) and (hi is None or v < hi)
    assert _holding(field, v, lo, hi) is expected


@pytest.mark.parametrize("field", BOUNDS)
def test_each_bound_exactly_at_its_value(field) -> None:
    ten = Decimal(10)
    assert _holding(field, ten, ten, None)
    assert not _holding(field, Decimal("9.9"), ten, None)
    assert not _holding(field, ten, None, ten)
    assert _holding(field, Decimal("9.9"), None, ten)


def test_min_power_looks_at_the_lowest_known_power() -> None:
    r = TariffRestrictions(min_power=Decimal(11))
    when = _z("2024-01-15 10:00")
    steady = _moment(when, power_low=Decimal(11), power_high=Decimal(22))
    dipped = _moment(when, power_low=Decimal("10.9"), power_high=Decimal(22))
    unknown = _moment(when)
    assert restrictions_hold(r, steady)
    assert not restrictions_hold(r, dipped)
    assert not restrictions_hold(r, unknown)


def test_day_of_week_is_the_local_weekday_of_each_moment() -> None:
    # A night window from Friday 23:00 keeps holding after midnight only if
    # Saturday is listed too: the weekday is that of the moment, not the start.
    friday = TariffRestrictions(
        start_time="23:00", end_time="06:00", day_of_week=[DayOfWeek.FRIDAY]
    )
    both = friday.model_copy(
        update={"day_of_week": [DayOfWeek.FRIDAY, DayOfWeek.SATURDAY]}
    )
    fri_2330 = at("2024-01-19 23:30", "Europe/Amsterdam")
    sat_0030 = at("2024-01-20 00:30", "Europe/Amsterdam")
    assert restrictions_hold(friday, _moment(fri_2330))
    assert not restrictions_hold(friday, _moment(sat_0030))
    assert restrictions_hold(both, _moment(sat_0030))


def test_local_instants_are_each_clock_time_and_local_midnight_only() -> None:
    r = [TariffRestrictions(start_time="22:00")]  # 22:00 CET is 21:00 UTC
    found = local_instants(r, _z("2024-01-15 12:00"), _z("2024-01-17 12:00"), AMS)
    assert found == {
        _z("2024-01-15 21:00"),
        _z("2024-01-15 23:00"),
        _z("2024-01-16 21:00"),
        _z("2024-01-16 23:00"),
    }


def test_local_instants_exclude_the_slice_bounds() -> None:
    r = [TariffRestrictions(start_time="22:00")]
    found = local_instants(r, _z("2024-01-15 21:00"), _z("2024-01-16 21:00"), AMS)
    assert found == {_z("2024-01-15 23:00")}


def test_no_time_or_date_rule_means_no_split_even_across_a_dst_change() -> None:
    r = [TariffRestrictions(min_kwh=Decimal(5), max_duration=3600)]
    assert (
        local_instants(r, _z("2024-03-30 12:00"), _z("2024-04-01 12:00"), AMS) == set()
    )


def test_the_dst_change_is_a_split_point_to_the_microsecond_inside_only() -> None:
    # 2024-03-31 01:00 UTC: Amsterdam goes from 02:00 CET to 03:00 CEST.
    r = [TariffRestrictions(day_of_week=[DayOfWeek.SUNDAY])]
    start = _z("2024-03-30 12:00")
    up_to = local_instants(r, start, _z("2024-03-31 01:00"), AMS)
    assert up_to == {_z("2024-03-30 23:00")}  # local midnight; the change is the end
    across = local_instants(r, start, _z("2024-03-31 06:00"), AMS)
    assert across == {_z("2024-03-30 23:00"), _z("2024-03-31 01:00")}
    late = local_instants(
        r, _z("2024-03-31 00:59:59.999999"), _z("2024-03-31 07:13"), AMS
    )
    assert late == {_z("2024-03-31 01:00")}


def test_a_repeated_local_time_splits_at_both_of_its_instants() -> None:
    # 2024-10-27 01:00 UTC: Amsterdam goes back from 03:00 CEST to 02:00 CET, so
    # 02:30 happens at 00:30 and at 01:30 UTC.
    r = [TariffRestrictions(start_time="02:30", end_time="04:00")]
    found = local_instants(r, _z("2024-10-26 21:00"), _z("2024-10-27 05:00"), AMS)
    assert found == {
        _z("2024-10-26 22:00"),  # local midnight
        _z("2024-10-27 00:30"),
        _z("2024-10-27 01:00"),  # the change itself
        _z("2024-10-27 01:30"),
        _z("2024-10-27 03:00"),  # 04:00 CET
    }
    t = tariff(
        el(pc("TIME", 2.00), start_time="02:30", end_time="04:00"), el(pc("TIME", 1))
    )
    session = Session(_z("2024-10-27 00:00")).charge(180, 10)
    cost = compute_cost(t, session.periods, end=session.stop, time_zone=AMS.key)
    # 00:30-01:00 and 01:30-03:00 UTC in the window: 2 h at 2.00, 1 h at 1.00.
    assert cost.total_cost.excl_vat == Decimal("5.00")


def test_duration_instants_are_strictly_inside_the_slice() -> None:
    r = [TariffRestrictions(min_duration=3600, max_duration=7200)]
    origin = _z("2024-01-15 10:00")
    exact = duration_instants(r, origin, _z("2024-01-15 11:00"), _z("2024-01-15 12:00"))
    assert exact == set()
    inside = duration_instants(
        r, origin, _z("2024-01-15 10:30"), _z("2024-01-15 12:30")
    )
    assert inside == {_z("2024-01-15 11:00"), _z("2024-01-15 12:00")}


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        # 23:00 local on 31 Dec to 01:00 on 1 Jan, 10 kWh per hour.
        ({"start_date": "2025-01-01"}, Decimal("1.00") + Decimal("5.00")),
        ({"end_date": "2025-01-01"}, Decimal("5.00") + Decimal("1.00")),
    ],
)
def test_a_lone_date_bound_flips_at_local_midnight(rule, expected) -> None:
    t = tariff(el(pc("ENERGY", 0.50), **rule), el(pc("ENERGY", 0.10)))
    session = Session(at("2024-12-31 23:00", AMS.key)).charge(120, 20)
    cost = compute_cost(t, session.periods, end=session.stop, time_zone=AMS.key)
    assert cost.total_cost.excl_vat == expected
