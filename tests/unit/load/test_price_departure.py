"""A session's own departure: planned in place of the site file's, refused by reason."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from edge.config.circuits import (
    CircuitSection,
    LoadEvseSection,
    LoadSection,
    PricesSection,
)
from edge.evse.port import RunningSession
from edge.load.departures import Book, DepartureRefused, Refusal
from edge.load.price_plan import HOUR, Wait
from edge.load.price_source import PricePlanner
from edge.model.clock import ManualClock
from edge.model.departure import Source

from .manager_rig import FakePort
from .test_price_share import evse
from .test_price_source import AMS, EVENING, T0, csv_text


def planner(
    tmp_path: Path, energy_wh: int | None = None, book: Book | None = None
) -> PricePlanner:
    (tmp_path / "p.csv").write_text(csv_text(EVENING))
    prices = PricesSection(file=str(tmp_path / "p.csv"))
    load = LoadSection(
        circuit=[CircuitSection(id="grid", limit_a=[40.0, 40.0, 40.0])],
        evse=[
            LoadEvseSection(uid="A", circuit="grid", energy_wh=energy_wh),
            LoadEvseSection(uid="S", circuit="grid", mode="surplus"),
        ],
        prices=prices,
    )
    clock = ManualClock(T0)
    out = PricePlanner(load, prices, [evse("A"), evse("S")], AMS, clock, book=book)
    out.load()
    return out


async def test_a_session_departure_is_planned_and_ends_with_its_session(
    tmp_path: Path,
) -> None:
    plans = planner(tmp_path)
    port = FakePort("A", ManualClock(T0))
    port.session = RunningSession("s1", "AA", None, T0, 0, 0)
    assert plans.caps({"A": port.view()}, T0) == {}  # no departure: as fast
    assert "A" not in plans.plans
    own = await plans.set_departure(
        "A", port.view(), T0 + 13 * HOUR, 17_000, Source.API, T0
    )
    assert own.session_id == "s1"
    caps = plans.caps({"A": port.view()}, T0)
    assert caps["A"].current_a == 0.0
    assert plans.plans["A"] == Wait(T0 + 6 * HOUR)  # the cheapest hours
    # a new session on the EVSE does not inherit it
    port.session = RunningSession("s2", "AA", None, T0, 0, 0)
    assert plans.caps({"A": port.view()}, T0) == {}
    assert plans.sessions == {}
    # cleared: back to the site file (none here)
    await plans.set_departure("A", port.view(), T0 + 13 * HOUR, 17_000, Source.OCPI, T0)
    assert await plans.clear_departure("A") is not None
    assert plans.caps({"A": port.view()}, T0) == {}


@pytest.mark.parametrize(
    ("uid", "session", "after", "energy", "refusal", "message"),
    [
        ("S", "s1", HOUR, 1000, Refusal.NOT_PLANNED, "EVSE S is not planned"),
        ("A", None, HOUR, 1000, Refusal.NO_SESSION, "no session runs on EVSE A"),
        ("A", "s9", HOUR, 1000, Refusal.NO_SESSION, "session s9 does not run"),
        ("A", "s1", -HOUR, 1000, Refusal.NOT_POSSIBLE, "has passed"),
        ("A", "s1", 8 * 24 * HOUR, 1000, Refusal.NOT_POSSIBLE, "7 days ahead"),
        ("A", "s1", HOUR, None, Refusal.ENERGY_NEEDED, "no energy_wh"),
    ],
)  # fmt: skip
async def test_a_departure_that_cannot_be_set_says_why(
    tmp_path: Path,
    uid: str,
    session: str | None,
    after: timedelta,
    energy: int | None,
    refusal: Refusal,
    message: str,
) -> None:
    plans = planner(tmp_path)
    port = FakePort(uid, ManualClock(T0))
    port.session = RunningSession("s1", "AA", None, T0, 0, 0)
    if session is None:
        port.session = None
    named = None if session in (None, "s1") else session
    with pytest.raises(DepartureRefused) as caught:
        await plans.set_departure(
            uid, port.view(), T0 + after, energy, Source.API, T0, session_id=named
        )
    assert caught.value.refusal is refusal
    assert message in caught.value.reason, caught.value.reason
    assert plans.sessions == {}


async def test_without_energy_given_the_evse_energy_is_wanted(
    tmp_path: Path,
) -> None:
    plans = planner(tmp_path, energy_wh=17_000)
    port = FakePort("A", ManualClock(T0))
    port.session = RunningSession("s1", "AA", None, T0, 0, 0)
    await plans.set_departure("A", port.view(), T0 + 13 * HOUR, None, Source.API, T0)
    plans.caps({"A": port.view()}, T0)
    assert plans.plans["A"] == Wait(T0 + 6 * HOUR)
