"""The planner's departures in a real SQLite file: on disk before they are accepted,
read again at a restart for the sessions still open, gone with their session."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.evse.port import RunningSession
from edge.load.departures import DepartureRefused, Refusal
from edge.load.price_plan import HOUR, Wait
from edge.model.clock import ManualClock
from edge.model.departure import Source
from edge.store import sessions
from edge.store.db import Database
from edge.store.departures import StoredDepartures
from tests.unit.store.test_departures_store import rows
from tests.unit.store.test_sessions_store import new_session

from .test_manager import FakePort
from .test_price_departure import planner
from .test_price_source import T0


async def opened(path: Path, *sids: str) -> Database:
    """The store at ``path``, with sessions ``sids`` started on EVSE A."""
    db = await Database.open(path)
    for sid in sids:
        await db.run(lambda h, s=sid: sessions.start_session(h, new_session(s, "A")))
    return db


def running(sid: str | None) -> FakePort:
    port = FakePort("A", ManualClock(T0))
    port.session = None if sid is None else RunningSession(sid, "AA", None, T0, 0, 0)
    return port


async def test_a_departure_is_on_disk_once_set_and_holds_after_a_restart(
    tmp_path: Path,
) -> None:
    path = tmp_path / "edge.db"
    db = await opened(path, "s1")
    plans = planner(tmp_path, book=StoredDepartures(db))
    own = await plans.set_departure(
        "A", running("s1").view(), T0 + 13 * HOUR, 17_000, Source.API, T0
    )
    # committed before the answer: another connection sees it
    assert [(r[0], r[2], r[3]) for r in rows(path)] == [("s1", 17_000, "api")]
    await db.close()

    db = await opened(path)  # restarted on the same file
    try:
        again = planner(tmp_path, book=StoredDepartures(db))
        await again.restore()
        assert again.sessions == {"A": own}
        # the EVSE does not show its session yet (a charger still reconnecting):
        # nothing is planned, and the departure is not forgotten
        assert again.caps({"A": running(None).view()}, T0) == {}
        assert again.sessions == {"A": own}
        caps = again.caps({"A": running("s1").view()}, T0)
        assert caps["A"].current_a == 0.0  # waits for the cheap hours
        assert again.plans["A"] == Wait(T0 + 6 * HOUR)
        # "as fast" is kept too, and a clear deletes it
        await again.charge_fast("A", running("s1").view(), Source.OCPI)
        assert [(r[0], r[1], r[3]) for r in rows(path)] == [("s1", None, "ocpi")]
        await again.clear_departure("A")
        assert rows(path) == []
        assert again.sessions == {}
    finally:
        await db.close()


async def test_a_departure_whose_session_ended_while_down_is_gone(
    tmp_path: Path,
) -> None:
    path = tmp_path / "edge.db"
    db = await opened(path, "s1")
    plans = planner(tmp_path, book=StoredDepartures(db))
    await plans.set_departure(
        "A", running("s1").view(), T0 + 13 * HOUR, 17_000, Source.API, T0
    )
    await db.close()

    db = await opened(path)
    try:
        # the restarted EVSE finds the car gone and closes its session (resume)
        await db.run(lambda h: sessions.stop_session(h, "s1", 1000, T0, "EV_LEFT"))
        assert rows(path) == []
        again = planner(tmp_path, book=StoredDepartures(db))
        await again.restore()
        assert again.sessions == {}
        # the next session on the EVSE goes by the site file (none: as fast)
        await db.run(lambda h: sessions.start_session(h, new_session("s2", "A")))
        assert again.caps({"A": running("s2").view()}, T0) == {}
        assert "A" not in again.plans
    finally:
        await db.close()


async def test_a_departure_for_a_session_that_just_ended_is_refused(
    tmp_path: Path,
) -> None:
    path = tmp_path / "edge.db"
    db = await opened(path, "s1")
    try:
        plans = planner(tmp_path, book=StoredDepartures(db))
        view = running("s1").view()  # shown before its stop was committed
        await db.run(lambda h: sessions.stop_session(h, "s1", 1000, T0, "EV_LEFT"))
        with pytest.raises(DepartureRefused) as caught:
            await plans.set_departure("A", view, T0 + 13 * HOUR, 17_000, Source.API, T0)
        assert caught.value.refusal is Refusal.NO_SESSION
        assert "session s1 has ended" in caught.value.reason
        with pytest.raises(DepartureRefused):
            await plans.charge_fast("A", view, Source.OCPI)
        assert plans.sessions == {}
        assert rows(path) == []
    finally:
        await db.close()
