"""The OCPP transactions repository on a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from edge.model.session import Session, SessionStatus
from edge.store import ocpp_transactions as repo
from edge.store import sessions
from edge.store.db import open_sync

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _start(at, wh=0):
    return repo.TxStart("CP1", 1, "E1", "CARD", at, wh, at + timedelta(seconds=1))


def _maker(at, wh=0):
    def make(tx_id):
        return Session(
            f"s{tx_id}", "E1", "CARD", "RFID", None, "WHITELIST", "ok",
            SessionStatus.ACTIVE, at, None, wh, wh, None, None, at,
        )  # fmt: skip

    return make


def _outbox(db):
    return dict(db.conn.execute("SELECT key, version FROM outbox"))


def test_ids_rise_across_reopening_and_repeats_find_the_first(tmp_path):
    db = open_sync(tmp_path / "edge.db")
    first = repo.begin(db, _start(T0), _maker(T0), None)
    assert isinstance(first, repo.Begun)
    again = repo.begin(db, _start(T0), _maker(T0), None)
    assert again == repo.Repeated(first.tx)
    assert repo.finish(db, first.tx.id, T0 + timedelta(hours=1), 900, "OCPP Local",
                       None, T0 + timedelta(hours=2))  # fmt: skip
    assert not repo.finish(db, first.tx.id, T0 + timedelta(hours=1), 900, "x", None, T0)
    assert _outbox(db) == {"sessions:s1": 2, "cdrs:s1": 1}  # start, stop; one CDR
    s = sessions.get_session(db, "s1")
    assert s is not None
    assert (s.end, s.energy_wh) == (T0 + timedelta(hours=1), 900)
    assert s.last_updated == T0 + timedelta(hours=2)  # when it reached us
    db.conn.execute("DELETE FROM ocpp_transactions")
    db.conn.close()
    db = open_sync(tmp_path / "edge.db")
    later = repo.begin(db, _start(T0 + timedelta(days=1)), None, "refused: test")
    assert isinstance(later, repo.Begun)
    assert later.tx.id > first.tx.id  # AUTOINCREMENT: never the same id twice
    assert later.tx.session_id is None


def test_a_new_start_closes_the_one_whose_stop_never_came(tmp_path):
    db = open_sync(tmp_path / "edge.db")
    old = repo.begin(db, _start(T0, 100), _maker(T0, 100), None)
    assert isinstance(old, repo.Begun)
    sessions.checkpoint(db, "s1", 600, T0 + timedelta(minutes=30))
    t1 = T0 + timedelta(hours=1)
    new = repo.begin(db, _start(t1, 700), _maker(t1, 700), None)
    assert isinstance(new, repo.Begun)
    assert new.superseded is not None
    assert new.superseded.id == old.tx.id
    closed = sessions.get_session(db, "s1")
    assert closed is not None
    assert (closed.status, closed.end, closed.energy_wh) == (
        SessionStatus.COMPLETED, t1, 500,
    )  # fmt: skip
    assert closed.stop_reason == "SUPERSEDED"
    assert "cdrs:s1" in _outbox(db)
    assert sessions.active_session_for(db, "E1").id == f"s{new.tx.id}"

    earlier = T0 + timedelta(minutes=10)  # replayed out of order: not billed
    late = repo.begin(db, _start(earlier, 5), _maker(earlier, 5), None)
    assert isinstance(late, repo.Begun)
    assert late.tx.session_id is None
    assert "started later, is still running" in (late.tx.refused or "")
