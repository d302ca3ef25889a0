"""Outbox claims, acks, retries and dead letters on a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlite_utils  # noqa: TID251

from edge.store import outbox as ob
from edge.store.db import open_sync, transaction

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
PRE = {"evse_status": ("locations",)}


@pytest.fixture
def db(tmp_path: Path) -> sqlite_utils.Database:
    database = open_sync(tmp_path / "edge.db")
    yield database
    database.conn.close()


def put(db, module: str, oid: str, at: datetime = T0, after: str | None = None) -> str:
    with transaction(db) as conn:
        return ob.enqueue(conn, module, oid, at, after_key=after)


def claim(db, owner="A", now=T0, n=10, lease=60.0, pre=None) -> list[ob.OutboxItem]:
    with transaction(db) as conn:
        return ob.claim(conn, owner, now, lease, n, pre or {})


def keys(items) -> list[str]:
    return [i.key for i in items]


def test_claim_is_oldest_first_bounded_and_leased(db) -> None:
    for n in range(5):
        put(db, "sessions", f"S{n}")
    first = claim(db, n=3)
    assert keys(first) == ["sessions:S0", "sessions:S1", "sessions:S2"]
    # leased rows are not claimed again, by us or anyone, until the lease ends
    assert keys(claim(db, owner="B")) == ["sessions:S3", "sessions:S4"]
    assert claim(db, owner="C", now=T0 + timedelta(seconds=59)) == []
    later = claim(db, owner="C", now=T0 + timedelta(seconds=61))
    assert len(later) == 5  # every lease expired: a killed sender loses nothing


def test_a_lease_from_a_clock_that_went_back_is_expired(db) -> None:
    put(db, "sessions", "S1")
    claim(db, now=T0 + timedelta(days=30))  # the old process's clock ran ahead
    assert keys(claim(db, owner="B", now=T0)) == ["sessions:S1"]


def test_not_due_rows_wait(db) -> None:
    put(db, "sessions", "S1", at=T0 + timedelta(minutes=5))
    assert claim(db) == []
    assert keys(claim(db, now=T0 + timedelta(minutes=5))) == ["sessions:S1"]


def test_cdr_waits_for_its_session_row(db) -> None:
    skey = put(db, "sessions", "S1")
    put(db, "cdrs", "S1", after=skey)
    [s] = claim(db)
    with transaction(db) as conn:
        assert ob.ack(conn, s, "A", T0)
    assert keys(claim(db)) == ["cdrs:S1"]


def test_prerequisite_module_blocks_even_when_dead(db) -> None:
    put(db, "locations", "L1")
    put(db, "evse_status", "E1")
    [loc] = claim(db, pre=PRE)
    assert loc.key == "locations:L1"
    with transaction(db) as conn:
        ob.dead_letter(conn, loc, "A", "OCPI 2001", T0)
    assert claim(db, pre=PRE) == []
    with transaction(db) as conn:
        assert ob.requeue_dead(conn, T0) == 1
    [again] = claim(db, pre=PRE)
    with transaction(db) as conn:
        ob.ack(conn, again, "A", T0)
    assert keys(claim(db, pre=PRE)) == ["evse_status:E1"]


def test_ack_of_a_folded_row_keeps_it_due_now(db) -> None:
    put(db, "sessions", "S1")
    [item] = claim(db)
    put(db, "sessions", "S1", at=T0 + timedelta(seconds=30))  # folds: version 2
    with transaction(db) as conn:
        assert not ob.ack(conn, item, "A", T0 + timedelta(seconds=31))
    [newer] = claim(db, now=T0 + timedelta(seconds=31))
    assert (newer.version, newer.seq) == (2, item.seq)  # same place in the queue
    with transaction(db) as conn:
        assert ob.ack(conn, newer, "A", T0)
    assert ob.all_items(db.conn) == []


def test_retry_counts_keeps_reason_and_releases(db) -> None:
    put(db, "sessions", "S1")
    [item] = claim(db)
    due = T0 + timedelta(seconds=40)
    with transaction(db) as conn:
        ob.retry(conn, item, "A", "timeout: no answer", due)
    [row] = ob.all_items(db.conn)
    assert (row.attempts, row.last_error, row.dead) == (1, "timeout: no answer", False)
    assert claim(db, now=T0 + timedelta(seconds=39)) == []
    assert len(claim(db, owner="B", now=due)) == 1


def test_dead_letter_unless_the_object_changed_meanwhile(db) -> None:
    put(db, "cdrs", "S1")
    put(db, "sessions", "S2")
    cdr, ses = claim(db)
    put(db, "sessions", "S2")  # a newer state deserves its own chance
    with transaction(db) as conn:
        assert ob.dead_letter(conn, cdr, "A", "OCPI 2001 (bad)", T0)
        assert not ob.dead_letter(conn, ses, "A", "OCPI 2001 (bad)", T0)
    dead = [i for i in ob.all_items(db.conn) if i.dead]
    assert keys(dead) == ["cdrs:S1"]
    assert dead[0].last_error == "OCPI 2001 (bad)"
    assert keys(ob.pending(db.conn)) == ["sessions:S2"]


def test_stats_backlog_blocked_dead_last_error(db) -> None:
    put(db, "locations", "L1", at=T0)
    put(db, "evse_status", "E1", at=T0 + timedelta(minutes=1))
    skey = put(db, "sessions", "S1", at=T0 + timedelta(minutes=2))
    put(db, "cdrs", "S1", at=T0 + timedelta(minutes=3), after=skey)
    put(db, "cdrs", "S0", at=T0 + timedelta(minutes=4))
    items = {i.key: i for i in claim(db, now=T0 + timedelta(minutes=5), pre=PRE)}
    assert set(items) == {"locations:L1", "sessions:S1", "cdrs:S0"}
    with transaction(db) as conn:
        ob.dead_letter(conn, items["cdrs:S0"], "A", "OCPI 2001: no", T0)
        ob.retry(conn, items["locations:L1"], "A", "HTTP 503", T0)
    st = ob.stats(db.conn, PRE)
    by = {m.module: m for m in st.modules}
    assert (by["cdrs"].queued, by["cdrs"].blocked, by["cdrs"].dead) == (1, 1, 1)
    assert (by["evse_status"].queued, by["evse_status"].blocked) == (1, 1)
    assert (by["locations"].queued, by["locations"].blocked) == (1, 0)
    assert st.live == 4
    assert st.oldest_key == "locations:L1"
    assert st.last_error is not None
    assert st.last_error[0] in ("cdrs:S0", "locations:L1")
    assert keys(st.dead_letters) == ["cdrs:S0"]


def test_release_owner_and_expedite(db) -> None:
    put(db, "sessions", "S1")
    put(db, "sessions", "S2")
    a, _b = claim(db)
    with transaction(db) as conn:
        ob.retry(conn, a, "A", "down", T0 + timedelta(hours=1))
        assert ob.release_owner(conn, "A") == 1  # b only: a was released already
    assert keys(claim(db, owner="B")) == ["sessions:S2"]
    with transaction(db) as conn:
        assert ob.expedite(conn, T0) == 1
    assert keys(claim(db, owner="C")) == ["sessions:S1"]


def test_a_holder_never_claims_its_own_row_again(db) -> None:
    put(db, "cdrs", "S1")
    assert keys(claim(db, owner="A")) == ["cdrs:S1"]
    # A's lease ran out while its request was in flight: A does not send it twice
    assert claim(db, owner="A", now=T0 + timedelta(seconds=61)) == []
    assert claim(db, owner="A", now=T0 + timedelta(days=30)) == []
    # another sender (A was killed) takes it; once A gives it back, A may again
    assert keys(claim(db, owner="B", now=T0 + timedelta(seconds=61))) == ["cdrs:S1"]
    with transaction(db) as conn:
        ob.release_owner(conn, "B")
    assert keys(claim(db, owner="A", now=T0 + timedelta(seconds=62))) == ["cdrs:S1"]
