"""Sessions and outbox in a real SQLite file: one transaction per change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from edge.model.session import Session, SessionStatus
from edge.store import sessions as repo
from edge.store.db import Database, migrations, open_sync
from edge.store.evse_status import set_evse_status
from edge.store.outbox import all_items, pending

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def new_session(sid: str = "S1", evse: str = "E1", wh: int = 1000) -> Session:
    return Session(
        id=sid,
        evse_uid=evse,
        token_uid="AA11",
        token_type="RFID",
        contract_id=None,
        auth_method="WHITELIST",
        auth_reason="local list",
        status=SessionStatus.ACTIVE,
        start=T0,
        end=None,
        meter_start_wh=wh,
        meter_last_wh=wh,
        meter_stop_wh=None,
        stop_reason=None,
        last_updated=T0,
    )


def test_migrations_are_versioned_and_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "edge.db"
    db = open_sync(path)
    latest = migrations()[-1][0]
    assert db.execute("PRAGMA user_version").fetchone()[0] == latest
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.conn.close()
    again = open_sync(path)  # reopening applies nothing twice
    assert again.execute("PRAGMA user_version").fetchone()[0] == latest
    again.conn.close()


def test_session_lifecycle_queues_session_then_cdr(tmp_path: Path) -> None:
    db = open_sync(tmp_path / "edge.db")
    repo.start_session(db, new_session())
    repo.checkpoint(db, "S1", 1500, T0 + timedelta(minutes=15))
    repo.checkpoint(db, "S1", 1400, T0 + timedelta(minutes=30))  # never decreases
    assert repo.get_session(db, "S1").meter_last_wh == 1500  # type: ignore[union-attr]
    assert repo.stop_session(db, "S1", 2500, T0 + timedelta(hours=1), "EV_DISCONNECTED")
    s = repo.get_session(db, "S1")
    assert s is not None
    assert (s.status, s.energy_wh, s.stop_reason) == (
        SessionStatus.COMPLETED,
        1500,
        "EV_DISCONNECTED",
    )
    items = pending(db.conn)
    # one folded row for the session (start + 2 checkpoints + stop), then its CDR
    assert [(i.key, i.version) for i in items] == [("sessions:S1", 4), ("cdrs:S1", 1)]
    assert items[1].after_key == "sessions:S1"


def test_stop_is_idempotent(tmp_path: Path) -> None:
    db = open_sync(tmp_path / "edge.db")
    repo.start_session(db, new_session())
    assert repo.stop_session(db, "S1", 2000, T0, "LOCAL")
    assert not repo.stop_session(db, "S1", 3000, T0, "LOCAL")
    assert repo.get_session(db, "S1").meter_stop_wh == 2000  # type: ignore[union-attr]
    # the outbox key is unique, so count enqueues by the row's version: a second
    # stop that queued the CDR again would have folded into it as version 2
    [cdr] = [i for i in all_items(db.conn) if i.key == "cdrs:S1"]
    assert cdr.version == 1


def test_one_active_session_per_evse(tmp_path: Path) -> None:
    db = open_sync(tmp_path / "edge.db")
    repo.start_session(db, new_session("S1"))
    with pytest.raises(repo.SessionConflict):
        repo.start_session(db, new_session("S2"))
    # nothing half-written: no row, no outbox entry for S2
    assert repo.get_session(db, "S2") is None
    assert "sessions:S2" not in [i.key for i in all_items(db.conn)]
    repo.start_session(db, new_session("S3", evse="E2"))
    assert {s.id for s in repo.active_sessions(db)} == {"S1", "S3"}


def test_evse_status_queued_only_on_change(tmp_path: Path) -> None:
    db = open_sync(tmp_path / "edge.db")
    set_evse_status(db, "E1", "AVAILABLE", None, T0)
    set_evse_status(db, "E1", "AVAILABLE", None, T0 + timedelta(seconds=5))
    set_evse_status(db, "E1", "CHARGING", "CHARGING", T0 + timedelta(seconds=9))
    [item] = pending(db.conn)
    assert (item.key, item.version) == ("evse_status:E1", 2)


async def test_async_face_runs_on_one_thread(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "edge.db")
    await db.run(lambda d: repo.start_session(d, new_session()))
    found = await db.run(repo.active_sessions)
    await db.close()
    assert [s.id for s in found] == ["S1"]
