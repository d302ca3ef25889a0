"""Prices from a file, each EVSE's departure, and the load manager under the plan."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from edge.config.circuits import (
    CircuitSection,
    LoadEvseSection,
    LoadSection,
    PricesSection,
)
from edge.config.schema import EvseSection
from edge.evse.port import RunningSession
from edge.load.allocator import Why
from edge.load.manager import LoadManager
from edge.load.price_feed import Fetch
from edge.load.price_plan import HOUR, ChargeNow, Price, Unplanned, Wait
from edge.load.price_source import PricePlanner, departure_after
from edge.load.prices import PriceError, parse_prices, read_prices
from edge.model.clock import ManualClock

from .manager_rig import FakePort, reading, site

AMS = ZoneInfo("Europe/Amsterdam")
T0 = datetime(2026, 6, 2, 16, 0, tzinfo=UTC)  # 18:00 in Amsterdam
EVENING = [0.40, 0.35, 0.30, 0.25, 0.20, 0.10, 0.05, 0.05, 0.08, 0.15, 0.22, 0.30,
           0.31, 0.33, 0.35, 0.36]  # fmt: skip
"""16 hours from 18:00 local: cheapest from 23:00 to 02:00."""


def csv_text(prices: list[float], t0: datetime = T0) -> str:
    rows = [f"{(t0 + k * HOUR).isoformat()},{p}" for k, p in enumerate(prices)]
    return "start,price\n" + "\n".join(rows) + "\n"


def test_the_three_formats_give_the_same_prices() -> None:
    csv = parse_prices(csv_text([0.2, 0.1]), ".csv", "p.csv")
    json_ = parse_prices(
        '[{"start": "2026-06-02T18:00:00+02:00", "price": 0.2},'
        ' {"start": "2026-06-02T19:00:00+02:00", "price": 0.1}]',
        ".json",
        "p.json",
    )
    toml = parse_prices(
        "[[price]]\nstart = 2026-06-02T18:00:00+02:00\nprice = 0.2\n"
        "[[price]]\nstart = 2026-06-02T19:00:00+02:00\nprice = 0.1\n",
        ".toml",
        "p.toml",
    )
    assert csv == json_ == toml == [Price(T0, 0.2), Price(T0 + HOUR, 0.1)]


@pytest.mark.parametrize(
    ("text", "suffix", "message"),
    [
        ("start,cost\n", ".csv", "p: the header must name start and price"),
        ("start,price\n", ".csv", "p: no prices"),
        ("start,price\n2026-06-02T18:00:00,0.2\n", ".csv",
         "p line 2: start must be a time with a UTC offset"),
        ("start,price\nyesterday,0.2\n", ".csv",
         "p line 2: start 'yesterday' is not ISO 8601"),
        ("start,price\n2026-06-02T18:00:00Z,nan\n", ".csv",
         "p line 2: price must be finite"),
        ("start,price\n2026-06-02T18:00:00Z,cheap\n", ".csv",
         "p line 2: price 'cheap' is not a number"),
        ("start,price\n2026-06-02T18:00:00Z,0.1\n2026-06-02T18:30:00Z,0.1\n",
         ".csv", "p line 3: starts before the previous hour ends"),
        ('{"start": 1}', ".json", "p: a JSON list of {start, price} expected"),
        ('[{"start": "2026-06-02T18:00:00Z", "price": true}]', ".json",
         "p entry 0: price must be a number"),
        ("[1]", ".json", "p entry 0: start must be a time with a UTC offset"),
        ("[", ".json", "p: not valid JSON"),
        ("price = 1", ".toml", "p: [[price]] tables expected"),
        ("x", ".xlsx", "p: a .csv, .json or .toml file expected"),
    ],
)  # fmt: skip
def test_a_bad_file_names_the_entry(text: str, suffix: str, message: str) -> None:
    with pytest.raises(PriceError) as caught:
        parse_prices(text, suffix, "p")
    assert str(caught.value).startswith(message), caught.value


def test_an_unreadable_file_is_a_price_error(tmp_path: Path) -> None:
    with pytest.raises(PriceError, match="cannot read"):
        read_prices(str(tmp_path / "missing.csv"))
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(PriceError, match="not UTF-8"):
        read_prices(str(tmp_path / "bin.csv"))


def test_the_departure_is_the_first_after_the_session_starts() -> None:
    seven = time(7, 0)
    # plugged in at 18:00 local: 07:00 the next morning
    assert departure_after(T0, seven, AMS) == datetime(2026, 6, 3, 7, 0, tzinfo=AMS)
    # plugged in at 06:00 local: 07:00 the same day
    early = datetime(2026, 6, 3, 4, 0, tzinfo=UTC)
    assert departure_after(early, seven, AMS) == datetime(2026, 6, 3, 7, 0, tzinfo=AMS)
    # over the change to winter time (25 October 2026): still 07:00 local
    autumn = datetime(2026, 10, 24, 20, 0, tzinfo=UTC)
    got = departure_after(autumn, seven, AMS)
    assert got.astimezone(UTC) == datetime(2026, 10, 25, 6, 0, tzinfo=UTC)


def one_evse_planner(
    prices: PricesSection, clock: ManualClock, fetch: Fetch | None = None
) -> PricePlanner:
    """EVSE A (16 A) on a 40 A grid, leaving at 07:00 wanting 17 kWh."""
    load = LoadSection(
        circuit=[CircuitSection(id="grid", limit_a=[40.0, 40.0, 40.0])],
        evse=[
            LoadEvseSection(
                uid="A", circuit="grid", departure="07:00", energy_wh=17_000
            )
        ],
        prices=prices,
    )
    evse = EvseSection.model_validate({
        "uid": "A",
        "max_current_a": 16,
        "meter": {"bus": "b", "unit": 1, "model": "m"},
        "board": {"bus": "b", "unit": 2, "model": "m"},
    })  # fmt: skip
    return PricePlanner(load, prices, [evse], AMS, clock, fetch)


def planner(tmp_path: Path, text: str | None, clock: ManualClock) -> PricePlanner:
    path = tmp_path / "prices.csv"
    if text is not None:
        path.write_text(text)
    out = one_evse_planner(PricesSection(file=str(path)), clock)
    out.load()
    return out


def manager(
    tmp_path: Path, text: str | None
) -> tuple[LoadManager, FakePort, ManualClock, PricePlanner]:
    clock = ManualClock(T0)
    port = FakePort("A", clock)
    port.log = []
    mgr = LoadManager(site("A", limit=40.0), {"A": port}, clock)
    plans = planner(tmp_path, text, clock)
    mgr.price_caps = plans.caps
    port.session = RunningSession("s1", "AA", None, T0, 0, 0)
    port.drawn = (0.0, 0.0, 0.0)
    mgr.grid_sink("grid")(reading(clock, (5.0, 5.0, 5.0)))
    return mgr, port, clock, plans


async def test_a_session_waits_for_the_cheapest_hours_and_charges_in_them(
    tmp_path: Path,
) -> None:
    # 17 kWh planned at 80 % of 11 kW (16 A on 3 phases at 230 V): 1.9 hours;
    # 00:00 and 01:00 at 0.05 are the cheapest, 23:00 (0.10) is not needed
    mgr, port, clock, plans = manager(tmp_path, csv_text(EVENING))
    out = await mgr.step()
    assert out.setpoints["A"].why is Why.WAITING_FOR_CHEAP_HOUR
    assert port.limit_a == 0.0
    assert plans.plans["A"] == Wait(T0 + 6 * HOUR)
    clock.advance(6 * 3600.0)  # 00:00 local
    mgr.grid_sink("grid")(reading(clock, (5.0, 5.0, 5.0)))
    await mgr.step()
    assert port.limit_a == 6.0  # the first setpoint, then its share
    assert plans.plans["A"] == ChargeNow(T0 + 7 * HOUR)
    port.drawn = (6.0, 6.0, 6.0)
    mgr.grid_sink("grid")(reading(clock, (11.0, 11.0, 11.0)))
    await mgr.step()
    assert port.limit_a == 16.0
    # it draws 6 A (4140 W): planned at 80 % of that, 17 kWh need 00:00 to 05:00
    # (the dearest, 04:00 at 0.22, at its end); still charging now
    await mgr.step()
    assert plans.plans["A"] == ChargeNow(T0 + 7 * HOUR)
    # half an hour on, 16 of the 17 kWh are in: the last one would be bought at
    # the end of 00:00-01:00 (the dearest chosen part), but a car charging in
    # an interval is not paused before its end
    clock.advance(1800.0)
    port.session = replace(port.session, energy_wh=16_000)  # type: ignore[type-var]
    mgr.grid_sink("grid")(reading(clock, (21.0, 21.0, 21.0)))
    out = await mgr.step()
    assert plans.plans["A"] == ChargeNow(T0 + 7 * HOUR)
    assert port.limit_a == 16.0
    # an hour and a half later with the energy delivered: no plan left, no cap
    clock.advance(5400.0)
    port.session = replace(port.session, energy_wh=17_000)  # type: ignore[type-var]
    mgr.grid_sink("grid")(reading(clock, (21.0, 21.0, 21.0)))
    await mgr.step()
    assert plans.plans["A"] == Unplanned("nothing left to deliver")
    assert port.limit_a == 16.0


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (None, "no prices ("),
        ("start,price\n", "no prices ("),
        (csv_text(EVENING[:5]), "the prices do not cover every hour"),
    ],
)
async def test_without_usable_prices_the_session_charges_as_fast(
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    text: str | None,
    reason: str,
) -> None:
    caplog.set_level(logging.INFO, "edge.load")
    mgr, port, _, plans = manager(tmp_path, text)
    await mgr.step()
    await mgr.step()
    plan = plans.plans["A"]
    assert isinstance(plan, Unplanned)
    assert plan.reason.startswith(reason), plan
    assert port.limit_a == 16.0  # its first setpoint, then its share: as fast
    said = [r.getMessage() for r in caplog.records if "charges as fast" in r.message]
    assert len(said) == 1, said  # once per change, not per allocation
    assert reason in said[0]


async def test_the_file_is_read_again(tmp_path: Path) -> None:
    clock = ManualClock(T0)
    plans = planner(tmp_path, None, clock)
    assert plans.prices is None
    assert plans.problem is not None
    (tmp_path / "prices.csv").write_text(csv_text(EVENING))
    plans.load()
    assert plans.prices is not None
    assert plans.prices[0] == Price(T0, 0.40)
    assert plans.problem is None
    assert timedelta(seconds=plans.refresh_s) == timedelta(minutes=15)
