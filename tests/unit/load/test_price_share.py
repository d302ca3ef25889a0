"""The price plan on a shared fuse: each car is planned at what the fuse lets it draw.

Two cars behind one 25 A grid connection both want the same cheap night hours;
in them each gets half of what is left above the house load, not its EVSE's
maximum. A plan that assumed the maximum chose too few hours and left a car
short at its departure (20 kWh asked, 10.7 kWh delivered in config/demo-prices.toml).
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edge.config.circuits import (
    CircuitSection,
    LoadEvseSection,
    LoadSection,
    PricesSection,
)
from edge.config.schema import EvseSection
from edge.evse.port import RunningSession
from edge.load.manager import LoadManager
from edge.load.price_source import PricePlanner
from edge.load.site import Circuit, EvseLeaf, LoadRules, Metered, Site
from edge.model.clock import ManualClock

from .manager_rig import ROT, FakePort, reading
from .test_price_source import AMS, EVENING, T0, csv_text

HOUSE_A = 3.0
STEP_S = 120.0
WANTS = {"A": ("07:00", 20_000), "B": ("06:30", 30_000)}


def evse(uid: str) -> EvseSection:
    return EvseSection.model_validate({
        "uid": uid,
        "max_current_a": 16,
        "meter": {"bus": "b", "unit": 1, "model": "m"},
        "board": {"bus": "b", "unit": 2, "model": "m"},
    })  # fmt: skip


def night(tmp_path: Path) -> tuple[LoadManager, dict[str, FakePort], ManualClock]:
    (tmp_path / "prices.csv").write_text(csv_text(EVENING))
    prices = PricesSection(file=str(tmp_path / "prices.csv"))
    load = LoadSection(
        circuit=[CircuitSection(id="grid", limit_a=[25.0, 25.0, 25.0])],
        evse=[
            LoadEvseSection(uid=u, circuit="grid", departure=d, energy_wh=wh)
            for u, (d, wh) in WANTS.items()
        ],
        prices=prices,
    )
    clock = ManualClock(T0)
    plans = PricePlanner(load, prices, [evse(u) for u in WANTS], AMS, clock)
    plans.load()
    leaves = tuple(EvseLeaf(u, 3, ROT, 6.0, 16.0, 1) for u in WANTS)
    tree = Site(
        (Circuit("grid", (25.0, 25.0, 25.0), Metered(), evses=leaves),),
        LoadRules(margin_a=1.0),
    )
    ports = {u: FakePort(u, clock) for u in WANTS}
    log: list[tuple[str, float]] = []
    for port in ports.values():
        port.log = log
        port.session = RunningSession(f"s-{port.identity.uid}", "AA", None, T0, 0, 0)
        port.drawn = (0.0, 0.0, 0.0)
    mgr = LoadManager(tree, ports, clock)
    mgr.price_caps = plans.caps
    return mgr, ports, clock


def departure(uid: str) -> datetime:
    at = datetime.strptime(WANTS[uid][0], "%H:%M").time()  # noqa: DTZ007 - a time of day
    day = (T0 + timedelta(days=1)).astimezone(AMS).date()
    return datetime.combine(day, at, tzinfo=AMS).astimezone(UTC)


@pytest.mark.parametrize("noise_a", [0.0, 4.0])
async def test_two_cars_sharing_a_fuse_each_get_their_energy_by_departure(
    tmp_path: Path, noise_a: float
) -> None:
    # the house draws HOUSE_A, or up to noise_a more (seeded) at every reading
    rng = random.Random(14)
    mgr, ports, clock = night(tmp_path)
    delivered = {u: 0.0 for u in ports}
    at_departure: dict[str, float] = {}
    while clock.utcnow() < departure("A"):
        drawn = 0.0
        for uid, port in ports.items():
            full = delivered[uid] >= WANTS[uid][1]
            amps = port.limit_a if port.limit_a >= 6.0 and not full else 0.0
            port.drawn = (amps, amps, amps)
            port.asking = not full
            drawn += amps
        house = HOUSE_A + rng.uniform(0.0, noise_a)
        mgr.grid_sink("grid")(reading(clock, (house + drawn,) * 3))
        await mgr.step()
        # the fuse holds whatever the plan says
        assert sum(p.limit_a for p in ports.values()) <= 25.0 - 1.0 - house + 1e-6
        for uid, port in ports.items():
            full = delivered[uid] >= WANTS[uid][1]
            if port.limit_a >= 6.0 and not full:
                delivered[uid] += port.limit_a * 3 * 230.0 * STEP_S / 3600
            assert port.session is not None
            port.session = replace(port.session, energy_wh=int(delivered[uid]))
        clock.advance(STEP_S)
        for uid in ports:
            if uid not in at_departure and clock.utcnow() >= departure(uid):
                at_departure[uid] = delivered[uid]
    assert at_departure["A"] >= WANTS["A"][1], at_departure
    assert at_departure["B"] >= WANTS["B"][1], at_departure


def test_the_fuse_share_is_what_each_gets_with_every_car_charging() -> None:
    from edge.load.allocator import EvseState, GridSample, NotStarted, Paused
    from edge.load.price_share import fuse_share

    leaves = tuple(EvseLeaf(u, 3, ROT, 6.0, 16.0, 1) for u in "ABC")
    tree = Site(
        (Circuit("grid", (25.0, 25.0, 25.0), Metered(), evses=leaves),),
        LoadRules(margin_a=1.0, resume_delay_s=600.0),
    )
    states = {
        "A": EvseState(True, Paused(since=0.0)),  # waiting for a cheap hour
        "B": EvseState(True, NotStarted()),
        "C": EvseState(False, NotStarted()),  # no session: not counted
    }
    grid = {"grid": GridSample((HOUSE_A, HOUSE_A, HOUSE_A), 10.0)}  # fresh
    # (25 - 1 margin - 3 house) / 2 cars, neither held by a resume delay
    assert fuse_share(tree, states, grid, 10.0) == {"A": 10.5, "B": 10.5}
