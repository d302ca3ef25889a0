"""Session departures in a real SQLite file: kept while the session runs, no longer."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from edge.model.departure import SessionDeparture, Source
from edge.store import departures as repo
from edge.store import sessions
from edge.store.db import open_sync

from .test_sessions_store import T0, new_session

AT = datetime(2026, 3, 2, 19, 0, tzinfo=timezone(timedelta(hours=1)))


def rows(path: Path) -> list[tuple[object, ...]]:
    """What the file holds, read by a connection of its own."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT session_id, departure, energy_wh, source FROM session_departures"
        ).fetchall()
    finally:
        conn.close()


def test_a_departure_is_kept_for_its_open_session_and_goes_when_it_stops(
    tmp_path: Path,
) -> None:
    path = tmp_path / "edge.db"
    db = open_sync(path)
    sessions.start_session(db, new_session("S1", "E1"))
    sessions.start_session(db, new_session("S2", "E2"))
    assert repo.keep(db, SessionDeparture("S1", AT, 17_000, Source.API), T0)
    assert repo.keep(db, SessionDeparture("S2", None, None, Source.OCPI), T0)
    # committed: another connection sees it (UTC on disk, the same instant)
    assert sorted(rows(path)) == [
        ("S1", "2026-03-02T18:00:00.000Z", 17_000, "api"),
        ("S2", None, None, "ocpi"),
    ]
    db.conn.close()

    db = open_sync(path)  # a restart reads it back, per EVSE
    assert repo.open_departures(db) == {
        "E1": SessionDeparture("S1", AT, 17_000, Source.API),
        "E2": SessionDeparture("S2", None, None, Source.OCPI),
    }
    # a second wish replaces the first
    later = SessionDeparture("S1", AT + timedelta(hours=1), None, Source.OCPI)
    assert repo.keep(db, later, T0)
    assert repo.open_departures(db)["E1"] == later
    # the stop deletes it in its own transaction
    assert sessions.stop_session(db, "S1", 2000, T0 + timedelta(hours=1), "LOCAL")
    assert repo.open_departures(db) == {
        "E2": SessionDeparture("S2", None, None, Source.OCPI)
    }
    assert [r[0] for r in rows(path)] == ["S2"]
    assert repo.drop(db, "S2")
    assert not repo.drop(db, "S2")
    assert rows(path) == []


def test_no_departure_is_kept_for_a_session_that_is_not_open(tmp_path: Path) -> None:
    db = open_sync(tmp_path / "edge.db")
    sessions.start_session(db, new_session("S1"))
    assert sessions.stop_session(db, "S1", 2000, T0, "LOCAL")
    for sid in ("S1", "nope"):  # ended, or never stored
        assert not repo.keep(db, SessionDeparture(sid, AT, None, Source.API), T0)
    assert repo.open_departures(db) == {}
    assert rows(tmp_path / "edge.db") == []


def test_the_table_refuses_what_the_plan_cannot_use(tmp_path: Path) -> None:
    db = open_sync(tmp_path / "edge.db")
    sessions.start_session(db, new_session("S1"))
    with pytest.raises(sqlite3.IntegrityError):
        db.conn.execute(
            "INSERT INTO session_departures VALUES ('S1', NULL, 0, 'api', ?)",
            (T0.astimezone(UTC).isoformat(),),
        )
    with pytest.raises(sqlite3.IntegrityError):  # no such session
        db.conn.execute(
            "INSERT INTO session_departures VALUES ('S9', NULL, NULL, 'api', 'x')"
        )
