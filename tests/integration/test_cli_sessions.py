"""``edge sessions`` against a real SQLite file: filters, JSON and CSV export."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge.cli import main
from edge.model.session import Session, SessionStatus
from edge.store import sessions as repo
from edge.store.db import open_sync

REQUIRED = {"id", "evse_uid", "token_uid", "start", "end", "kwh", "status"}


def _session(sid: str, evse: str, token: str | None, start: str, wh: int) -> Session:
    t0 = datetime.fromisoformat(start).replace(tzinfo=UTC)
    return Session(
        id=sid,
        evse_uid=evse,
        token_uid=token,
        token_type="RFID" if token else None,
        contract_id=None,
        auth_method="WHITELIST",
        auth_reason="local list (ALWAYS)",
        status=SessionStatus.ACTIVE,
        start=t0,
        end=None,
        meter_start_wh=wh,
        meter_last_wh=wh,
        meter_stop_wh=None,
        stop_reason=None,
        last_updated=t0,
    )


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = tmp_path / "edge.db"
    conn = open_sync(path)
    repo.start_session(
        conn, _session("S1", "E1", "04A23B1C", "2026-03-01T08:00:00", 1000)
    )
    repo.stop_session(
        conn, "S1", 12_500, datetime(2026, 3, 1, 9, 30, tzinfo=UTC), "LOCAL"
    )
    repo.start_session(conn, _session("S2", "E2", "BEEF", "2026-03-02T07:00:00", 0))
    repo.stop_session(conn, "S2", 3210, datetime(2026, 3, 2, 7, 45, tzinfo=UTC), "EV")
    repo.start_session(
        conn, _session("S3", "E1", "04a23b1c", "2026-03-02T23:30:00", 5000)
    )
    repo.checkpoint(conn, "S3", 6000, datetime(2026, 3, 3, 0, 0, tzinfo=UTC))
    repo.start_session(conn, _session("S4", "E2", None, "2026-03-03T10:00:00", 3210))
    conn.conn.close()
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["sessions", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def ids(capsys: pytest.CaptureFixture[str], db: str, *argv: str) -> list[str]:
    code, out, err = run(capsys, "--db", db, "--json", *argv)
    assert (code, err) == (0, "")
    return [r["id"] for r in json.loads(out)]


def test_json_carries_the_fields_operators_rely_on(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--db", db, "--json")
    assert code == 0
    rows = json.loads(out)
    assert [r["id"] for r in rows] == ["S1", "S2", "S3", "S4"]
    assert set(rows[0]) >= REQUIRED
    s1, s3 = rows[0], rows[2]
    assert (s1["evse_uid"], s1["token_uid"], s1["status"]) == (
        "E1",
        "04A23B1C",
        "COMPLETED",
    )
    assert (s1["start"], s1["end"]) == (
        "2026-03-01T08:00:00.000Z",
        "2026-03-01T09:30:00.000Z",
    )
    assert s1["kwh"] == 11.5
    assert (s3["status"], s3["end"], s3["kwh"]) == ("ACTIVE", None, 1.0)


def test_filters(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert ids(capsys, db, "--since", "2026-03-02") == ["S2", "S3", "S4"]
    assert ids(capsys, db, "--until", "2026-03-02") == ["S1", "S2", "S3"]
    assert ids(
        capsys,
        db,
        "--since",
        "2026-03-02T06:00+01:00",
        "--until",
        "2026-03-02T23:00:00Z",
    ) == ["S2"]
    assert ids(capsys, db, "--since", "2026-03-02 23:30") == ["S3", "S4"]  # naive: UTC
    assert ids(capsys, db, "--token", "04a23B1C") == ["S1", "S3"]
    assert ids(capsys, db, "--evse", "E2", "--status", "active") == ["S4"]
    assert ids(capsys, db, "--evse", "E1", "--token", "BEEF") == []


def test_csv_to_stdout(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--db", db, "--csv", "--evse", "E1")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["id"] for r in rows] == ["S1", "S3"]
    assert set(rows[0]) >= REQUIRED
    assert (rows[0]["kwh"], rows[1]["end"]) == ("11.5", "")


def test_csv_header_even_when_nothing_matches(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--db", db, "--csv", "--token", "NOBODY")
    assert code == 0
    assert set(out.strip().split(",")) >= REQUIRED
    assert len(out.strip().splitlines()) == 1


def test_export_to_a_file(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "march.csv"
    code, out, _ = run(
        capsys, "--db", db, "--out", str(target), "--since", "2026-03-02"
    )
    assert code == 0
    assert out.strip() == f"wrote 3 session(s) to {target}"
    assert [r["id"] for r in csv.DictReader(io.StringIO(target.read_text()))] == [
        "S2",
        "S3",
        "S4",
    ]
    target_json = tmp_path / "march.json"
    assert run(capsys, "--db", db, "--json", "--out", str(target_json))[0] == 0
    assert len(json.loads(target_json.read_text())) == 4


def test_table_output(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--db", db, "--status", "completed")
    assert code == 0
    lines = out.splitlines()
    assert lines[-1] == "2 session(s)"
    assert lines[0].split()[:3] == ["S1", "E1", "COMPLETED"]


def test_bad_input(db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--db", db, "--since", "yesterday")
    assert code == 2
    assert "--since/--until" in err
    code, _, err = run(
        capsys, "--db", db, "--since", "2026-03-03", "--until", "2026-03-02"
    )
    assert (code, err.strip()) == (2, "--since must be before --until")
    code, _, err = run(capsys, "--db", str(tmp_path / "none.db"))
    assert code == 1
    assert "no database" in err
    assert not (tmp_path / "none.db").exists()
    code, _, err = run(
        capsys, "--db", db, "--csv", "--out", str(tmp_path / "no" / "x.csv")
    )
    assert code == 1
    assert "cannot write" in err
