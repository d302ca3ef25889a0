"""Hypothesis properties of the engine over random tariffs and sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as s

from edge.ocpi import ChargingPeriod, Price, Tariff
from edge.tariff import TariffCost, compute_cost
from tests.unit.tariff.builders import Session, at, el, hours, pc, tariff

SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
ZONES = ["UTC", "Europe/Amsterdam", "America/New_York", "Australia/Lord_Howe"]
DAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]

money = s.decimals(min_value=0, max_value=5, places=2)
vat = s.none() | s.decimals(min_value=0, max_value=25, places=1)
clock = s.builds(
    lambda h, m: f"{h:02d}:{m:02d}", s.integers(0, 23), s.sampled_from([0, 15, 30, 45])
)
TIME_RESTRICTIONS: dict[str, Any] = {
    "start_time": clock,
    "end_time": clock,
    "day_of_week": s.lists(s.sampled_from(DAYS), min_size=1, max_size=7, unique=True),
    "min_duration": s.integers(0, 4 * 3600),
    "max_duration": s.integers(0, 4 * 3600),
    "max_power": s.integers(1, 150),
    "min_power": s.integers(0, 150),
}
KWH_RESTRICTIONS: dict[str, Any] = {
    "min_kwh": s.decimals(min_value=0, max_value=80, places=1),
    "max_kwh": s.decimals(min_value=0, max_value=80, places=1),
}
ALL_RESTRICTIONS = TIME_RESTRICTIONS | KWH_RESTRICTIONS


def _component(kind: str, steps: list[int]) -> s.SearchStrategy[dict[str, Any]]:
    return s.builds(
        lambda p, v, step: pc(kind, str(p), None if v is None else float(v), step),
        money,
        vat,
        s.sampled_from(steps),
    )


def _components(kinds: list[str], steps: list[int]) -> s.SearchStrategy[list[Any]]:
    return s.lists(
        s.one_of([_component(k, steps) for k in kinds]), min_size=1, max_size=3
    )


def _tariffs(
    kinds: list[str], restrictions: dict[str, Any], steps: list[int], bounds: bool
) -> s.SearchStrategy[Tariff]:
    element = s.builds(
        lambda comps, r: el(*comps, **r),
        _components(kinds, steps),
        s.fixed_dictionaries({}, optional=restrictions),
    )
    price = s.builds(
        lambda excl, extra: {"excl_vat": float(excl), "incl_vat": float(excl + extra)},
        s.decimals(min_value=0, max_value=30, places=2),
        s.decimals(min_value=0, max_value=5, places=2),
    )
    extra: dict[str, Any] = {"min_price": price, "max_price": price} if bounds else {}
    return s.builds(
        lambda elements, fields: tariff(*elements, **fields),
        s.lists(element, min_size=1, max_size=4),
        s.fixed_dictionaries({}, optional=extra),
    )


ANY_TARIFF = _tariffs(
    ["ENERGY", "FLAT", "TIME", "PARKING_TIME"],
    ALL_RESTRICTIONS,
    [0, 1, 60, 100, 300, 500, 900],
    bounds=True,
)

step = s.one_of(
    s.tuples(
        s.just("charge"),
        s.integers(1, 240),
        s.integers(0, 60_000),  # Wh
        s.integers(1, 150),  # kW
    ),
    s.tuples(s.just("park"), s.integers(1, 240), s.just(0), s.just(0)),
)
starts = s.datetimes(
    min_value=datetime(2024, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
    max_value=datetime(2024, 12, 31),  # noqa: DTZ001
    timezones=s.just(UTC),
).map(lambda d: d.replace(second=0, microsecond=0))


def _session(start: datetime, steps: list[tuple[str, int, int, int]]) -> Session:
    session = Session(start)
    for kind, minutes, wh, kw in steps:
        if kind == "charge":
            kwh = Decimal(wh) / 1000
            session.charge(minutes, str(kwh), max_power=kw, min_power=kw)
        else:
            session.park(minutes)
    return session


sessions = s.builds(_session, starts, s.lists(step, min_size=1, max_size=5))


def _price(t: Tariff, session: Session, zone: str) -> TariffCost:
    return compute_cost(t, session.periods, end=session.stop, time_zone=zone)


def _prices(cost: TariffCost) -> list[Price]:
    return [
        cost.total_cost,
        cost.total_fixed_cost,
        cost.total_energy_cost,
        cost.total_time_cost,
        cost.total_parking_cost,
        cost.total_reservation_cost,
    ]


@SETTINGS
@given(ANY_TARIFF, sessions, s.sampled_from(ZONES))
def test_cost_is_never_negative_and_incl_vat_at_least_excl(
    t: Tariff, session: Session, zone: str
) -> None:
    cost = _price(t, session, zone)
    for price in _prices(cost):
        assert price.excl_vat >= 0
        assert price.incl_vat is not None
        assert price.incl_vat >= price.excl_vat
    assert all(
        line.excl_vat >= 0 and line.incl_vat >= line.excl_vat for line in cost.lines
    )


@SETTINGS
@given(ANY_TARIFF, sessions, s.sampled_from(ZONES))
def test_total_is_the_sum_of_the_parts_before_min_max(
    t: Tariff, session: Session, zone: str
) -> None:
    cost = _price(t, session, zone)
    exact = sum((line.excl_vat for line in cost.lines), Decimal(0))
    assert abs(cost.unclamped_total.excl_vat - exact) < Decimal("1e-20")
    parts = _prices(cost)[1:]
    rounded_sum = sum((p.excl_vat for p in parts), Decimal(0))
    rounded_total = cost.unclamped_total.price().excl_vat
    assert abs(rounded_total - rounded_sum) <= Decimal("0.0003")
    if t.min_price is None and t.max_price is None:
        assert cost.total_cost == cost.unclamped_total.price()
    if t.max_price is not None:
        assert cost.total_cost.excl_vat <= t.max_price.excl_vat


# Adding energy: with rounding steps above 1 Wh the spec's step rule can make more
# energy cheaper (see test_more_energy_can_cost_less_with_coarse_steps), and kWh
# tiers combined with time rules can too (energy moves into a cheaper tier earlier
# in the day). So the property is stated per family: time-like rules, or kWh rules.
ENERGY_TIME_RULES = _tariffs(["ENERGY"], TIME_RESTRICTIONS, [0, 1], bounds=False)
ENERGY_KWH_RULES = _tariffs(["ENERGY"], KWH_RESTRICTIONS, [0, 1], bounds=False)


def _with_more_energy(
    session: Session, index: int, extra_wh: int
) -> list[ChargingPeriod]:
    periods = list(session.periods)
    period = periods[index % len(periods)]
    dims = [d.model_dump() for d in period.dimensions]
    energy = next((d for d in dims if d["type"] == "ENERGY"), None)
    if energy is None:
        dims.append({"type": "ENERGY", "volume": Decimal(0)})
        energy = dims[-1]
    energy["volume"] += Decimal(extra_wh) / 1000
    periods[index % len(periods)] = period.model_copy(
        update={"dimensions": [type(period.dimensions[0])(**d) for d in dims]}
    )
    return periods


@SETTINGS
@given(
    s.one_of(ENERGY_TIME_RULES, ENERGY_KWH_RULES),
    sessions,
    s.sampled_from(ZONES),
    s.integers(0, 10),
    s.integers(1, 20_000),
)
def test_adding_energy_never_lowers_energy_cost(
    t: Tariff, session: Session, zone: str, index: int, extra_wh: int
) -> None:
    before = _price(t, session, zone).total_energy_cost
    more = _with_more_energy(session, index, extra_wh)
    after = compute_cost(t, more, end=session.stop, time_zone=zone).total_energy_cost
    assert after.excl_vat >= before.excl_vat
    assert after.incl_vat is not None
    assert before.incl_vat is not None
    assert after.incl_vat >= before.incl_vat


def _split(session: Session, index: int, seconds: int) -> list[ChargingPeriod] | None:
    periods = list(session.periods)
    i = index % len(periods)
    begin = periods[i].start_date_time
    end = periods[i + 1].start_date_time if i + 1 < len(periods) else session.stop
    length = int((end - begin).total_seconds())
    if length < 2:
        return None
    cut = 1 + seconds % (length - 1)
    share = Decimal(cut) / Decimal(length)
    first = [
        d.model_copy(update={"volume": d.volume * share}) for d in periods[i].dimensions
    ]
    second = [
        d.model_copy(update={"volume": d.volume - f.volume})
        for d, f in zip(periods[i].dimensions, first, strict=True)
    ]
    for dims, orig in ((first, periods[i]), (second, periods[i])):
        for d, o in zip(dims, orig.dimensions, strict=True):
            if o.type in {"MAX_POWER", "MIN_POWER"}:
                dims[dims.index(d)] = o
    head = periods[i].model_copy(update={"dimensions": first})
    tail = periods[i].model_copy(
        update={"dimensions": second, "start_date_time": begin + timedelta(seconds=cut)}
    )
    return [*periods[:i], head, tail, *periods[i + 1 :]]


@SETTINGS
@given(ANY_TARIFF, sessions, s.sampled_from(ZONES), s.integers(0, 10), s.integers(0))
def test_splitting_a_period_pro_rata_changes_nothing(
    t: Tariff, session: Session, zone: str, index: int, seconds: int
) -> None:
    split = _split(session, index, seconds)
    if split is None:
        return
    whole = _price(t, session, zone)
    parts = compute_cost(t, split, end=session.stop, time_zone=zone)
    for a, b in zip(_prices(whole), _prices(parts), strict=True):
        assert abs(a.excl_vat - b.excl_vat) <= Decimal("0.0001")


def test_more_energy_can_cost_less_with_coarse_steps() -> None:
    """A consequence of the spec's step_size rule, not of the engine.

    The rounding surplus is billed at the last period's price, so energy moved into
    a cheaper earlier period shrinks the surplus billed at the dearer price.
    """
    t = tariff(
        el(pc("ENERGY", 0.10, None, 1000), end_time="17:00"),
        el(pc("ENERGY", 0.50, None, 1000), start_time="17:00"),
    )
    less = Session(at("2024-01-15 16:00")).charge(60, "0.2").charge(60, "0.3")
    more = Session(at("2024-01-15 16:00")).charge(60, "0.5").charge(60, "0.3")
    cost_less = _price(t, less, "UTC").total_energy_cost.excl_vat
    cost_more = _price(t, more, "UTC").total_energy_cost.excl_vat
    assert (cost_less, cost_more) == (Decimal("0.42"), Decimal("0.30"))
    assert hours(60) == 1
