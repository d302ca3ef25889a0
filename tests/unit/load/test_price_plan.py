"""The price plan: the cheapest hours before departure, and the allocator under it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from edge.load.allocator import Charge, Pause, Why, allocate
from edge.load.price_plan import (
    HOUR,
    ChargeNow,
    Need,
    Price,
    Unplanned,
    Wait,
    plan,
    price_cap,
)

from .strategies import (
    NOW,
    SETTINGS,
    TOL,
    Case,
    cases,
    charging_amps,
    house,
    loads,
)

T0 = datetime(2026, 6, 2, tzinfo=UTC)


@st.composite
def days(draw: st.DrawFn) -> tuple[list[Price], datetime, Need]:
    """Up to 36 hourly prices, a moment in them, and a session's need."""
    n = draw(st.integers(1, 36))
    prices = [
        Price(T0 + k * HOUR, draw(st.floats(-0.1, 0.6).map(lambda x: round(x, 2))))
        for k in range(n)
    ]
    now = T0 + timedelta(minutes=draw(st.integers(0, 60 * n - 1)))
    departure = now + timedelta(minutes=draw(st.integers(1, 60 * n)))
    power_w = draw(st.sampled_from([3680.0, 7360.0, 11040.0]))
    energy_wh = draw(st.floats(100, 60_000))
    return prices, now, Need(energy_wh, departure, power_w)


def cheapest_cost(prices: list[Price], now: datetime, need: Need) -> float:
    """The oracle: fill the cheapest intervals first, the last one in part."""
    slots = []
    for p in prices:
        start, end = max(p.start, now), min(p.end, need.departure)
        if end > start:
            slots.append((p.price, (end - start).total_seconds() / 3600 * need.power_w))
    cost, left = 0.0, need.energy_wh
    for price, wh in sorted(slots):
        take = min(wh, left)
        cost += take * price
        left -= take
    return cost


def follow(
    prices: list[Price], now: datetime, need: Need
) -> tuple[float, float, datetime]:
    """Charge as the plan says, re-planning at least every 10 minutes.

    (energy delivered, its cost, when it was done).
    """
    t, left, cost = now, need.energy_wh, 0.0
    price_at = {p.start: p.price for p in prices}
    while left > 1e-9 and t < need.departure:
        step = min(t + timedelta(minutes=10), need.departure)
        p = plan(prices, t, Need(left, need.departure, need.power_w))
        if isinstance(p, Wait):
            t = min(p.at, step)
            continue
        if isinstance(p, ChargeNow):  # else unplanned: charge as fast
            step = min(step, p.until)
        hour = t.replace(minute=0, second=0, microsecond=0)
        step = min(step, hour + HOUR)
        wh = min(left, need.power_w * (step - t).total_seconds() / 3600)
        cost += wh * price_at[hour]
        left -= wh
        t = step
    return need.energy_wh - left, cost, t


@SETTINGS
@given(days())
def test_a_plan_delivers_the_energy_before_departure_in_the_cheapest_hours(
    day: tuple[list[Price], datetime, Need],
) -> None:
    prices, now, need = day
    covered = need.departure <= prices[-1].end
    capacity_wh = need.power_w * (need.departure - now).total_seconds() / 3600
    first = plan(prices, now, need)
    if not covered:
        assert first == Unplanned(
            "the prices do not cover every hour before the departure"
        )
        return
    if capacity_wh < need.energy_wh - 1e-6:
        assert first == Unplanned("every hour before the departure is needed")
        return
    delivered, cost, done = follow(prices, now, need)
    assert delivered >= need.energy_wh - 1e-3, (delivered, need)  # µs rounding
    assert done <= need.departure
    oracle = cheapest_cost(prices, now, need)
    assert cost <= oracle + 1e-6 * max(1.0, abs(oracle)), (cost, oracle)


def test_the_cheapest_hours_are_chosen_and_the_car_waits_for_them() -> None:
    prices = [Price(T0 + k * HOUR, c) for k, c in enumerate([0.30, 0.10, 0.20, 0.05])]
    need = Need(11_000.0, T0 + 4 * HOUR, 11_000.0)
    # one hour of charging: the cheapest is the last
    assert plan(prices, T0, need) == Wait(T0 + 3 * HOUR)
    assert plan(prices, T0 + 3 * HOUR, need) == ChargeNow(T0 + 4 * HOUR)
    # two hours: the last and the second
    need2 = Need(22_000.0, T0 + 4 * HOUR, 11_000.0)
    assert plan(prices, T0, need2) == Wait(T0 + HOUR)
    assert plan(prices, T0 + HOUR, need2) == ChargeNow(T0 + 2 * HOUR)
    # equal prices: the earlier first
    flat = [Price(T0 + k * HOUR, 0.2) for k in range(4)]
    assert plan(flat, T0, need) == ChargeNow(T0 + HOUR)


def test_no_plan_without_prices_or_time_or_energy() -> None:
    prices = [Price(T0, 0.1), Price(T0 + 2 * HOUR, 0.1)]  # 01:00 has no price
    need = Need(1000.0, T0 + 3 * HOUR, 11_000.0)
    assert plan(prices, T0, need) == Unplanned(
        "the prices do not cover every hour before the departure"
    )
    assert plan([], T0, need).reason.startswith("the prices")  # type: ignore[union-attr]
    assert plan(prices, T0 + 4 * HOUR, need) == Unplanned("the departure has passed")
    assert plan(prices, T0, Need(0.0, T0 + HOUR, 11_000.0)) == Unplanned(
        "nothing left to deliver"
    )
    assert price_cap(Unplanned("x")) is None
    assert price_cap(ChargeNow(T0)) is None
    cap = price_cap(Wait(T0))
    assert cap is not None
    assert cap.current_a == 0.0


@SETTINGS
@given(cases(), st.lists(st.booleans(), min_size=8, max_size=8))
def test_waiting_for_cheap_hours_never_puts_a_circuit_over_its_limit(
    case: Case, waits: list[bool]
) -> None:
    wait = price_cap(Wait(T0))
    assert wait is not None
    uids = [leaf.uid for leaf in case.site.leaves()]
    caps = {u: wait for u, w in zip(uids, waits, strict=False) if w}
    out = allocate(case.site, case.states, case.grid, NOW, caps)
    given_a = charging_amps(out.setpoints)
    for circuit in case.site.circuits():
        h = house(case, circuit)
        for p, ours in enumerate(loads(case, given_a, circuit)):
            free = circuit.limit_a[p] - case.site.rules.margin_a - h[p]
            assert ours <= max(0.0, free) + TOL, (circuit.id, p, ours, free)
    for uid in caps:
        sp = out.setpoints[uid]
        assert not isinstance(sp, Charge), sp
        if case.states[uid].wants_current and sp.why not in {
            Why.FAILSAFE,
            Why.RESUME_DELAY,
        }:
            assert sp == Pause(Why.WAITING_FOR_CHEAP_HOUR), sp
