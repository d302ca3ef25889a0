"""``edge tokens`` against a real SQLite file, run through ``edge.cli.main``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from edge.auth.authorizer import Authorizer, LocalToken
from edge.cli import main
from edge.model.clock import ManualClock
from edge.store import tokens as repo
from edge.store.db import Database, open_sync


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def rows(db: Path) -> list[dict[str, object]]:
    conn = open_sync(db)
    try:
        return [
            {
                "uid": t.uid,
                "whitelist": t.whitelist.value,
                "group_id": t.group_id,
                "valid": t.valid,
                "source": t.source.value,
            }
            for t in repo.load_all(conn)
        ]
    finally:
        conn.conn.close()


def test_add_list_block_unblock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "edge.db")
    code, out, _ = run(
        capsys,
        "tokens",
        "--db",
        db,
        "add",
        "04A23B1C",
        "--group",
        "fleet",
        "--contract",
        "NL-EXA-C00001",
        "--visual",
        "Card 1",
        "--whitelist",
        "ALLOWED",
    )
    assert code == 0
    assert "added 04A23B1C" in out
    assert run(capsys, "tokens", "add", "BEEF", "--db", db)[0] == 0  # --db after
    code, out, _ = run(capsys, "tokens", "--db", db, "list", "--json")
    listed = {r["uid"]: r for r in json.loads(out)}
    assert listed["04A23B1C"] | {"last_updated": None} == {
        "country_code": "NL",
        "party_id": "EXA",
        "uid": "04A23B1C",
        "type": "RFID",
        "contract_id": "NL-EXA-C00001",
        "visual_number": "Card 1",
        "issuer": "Local",
        "group_id": "fleet",
        "valid": True,
        "whitelist": "ALLOWED",
        "language": None,
        "last_updated": None,
        "source": "cli",
        "blocked": False,
    }
    assert listed["BEEF"]["whitelist"] == "ALWAYS"

    code, out, _ = run(capsys, "tokens", "--db", db, "block", "04a23b1c")
    assert (code, out.strip()) == (0, "blocked 04a23b1c")
    code, out, _ = run(capsys, "tokens", "--db", db, "block", "04A23B1C")
    assert "already blocked" in out
    code, out, _ = run(capsys, "tokens", "--db", db, "block", "STOLEN1")
    assert "not in the token cache" in out
    code, out, _ = run(capsys, "tokens", "--db", db, "list")
    assert code == 0
    assert out.splitlines()[0].split()[:4] == ["04A23B1C", "RFID", "ALLOWED", "BLOCKED"]
    assert "STOLEN1" in out
    assert out.rstrip().endswith("2 token(s), 2 blocked")
    code, out, _ = run(capsys, "tokens", "--db", db, "unblock", "04A23B1C")
    assert (code, out.strip()) == (0, "unblocked 04A23B1C")
    listed = {
        r["uid"]: r
        for r in json.loads(run(capsys, "tokens", "--db", db, "list", "--json")[1])
    }
    assert listed["04A23B1C"]["blocked"] is False
    assert listed["STOLEN1"]["blocked"] is True
    assert listed["STOLEN1"]["whitelist"] is None


def test_add_replaces_the_local_token_and_checks_ocpi_rules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "edge.db")
    run(capsys, "tokens", "--db", db, "add", "AA", "--group", "g1")
    run(capsys, "tokens", "--db", db, "add", "aa", "--whitelist", "NEVER")
    assert rows(tmp_path / "edge.db") == [
        {
            "uid": "AA",
            "whitelist": "NEVER",
            "group_id": None,
            "valid": True,
            "source": "cli",
        }
    ]
    code, _, err = run(
        capsys, "tokens", "--db", db, "add", "BB", "--contract", "X" * 37
    )
    assert code == 2
    assert "token.contract_id: 37 characters, more than the maximum of 36" in err


def test_commands_that_need_a_database_say_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "none.db")
    for action in (["list"], ["block", "AA"], ["unblock", "AA"]):
        code, _, err = run(capsys, "tokens", "--db", missing, *action)
        assert code == 1
        assert "no database" in err
    assert not Path(missing).exists()
    code, _, err = run(capsys, "tokens", "list")
    assert (code, err.strip()) == (2, "give --db PATH")


def test_import_is_all_or_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "edge.db"
    run(capsys, "tokens", "--db", str(db), "add", "KEEP", "--group", "before")
    before = rows(db)
    bad = tmp_path / "cards.csv"
    bad.write_text(
        "uid,group_id,whitelist\nAA,g,ALWAYS\nBB,g,SOMETIMES\nKEEP,after,NEVER\n"
    )
    code, out, err = run(capsys, "tokens", "--db", str(db), "import", str(bad))
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        f"{bad}:3: column 3 (whitelist): 'SOMETIMES' is not one of ALWAYS, ALLOWED, "
        "ALLOWED_OFFLINE, NEVER",
        f"nothing imported from {bad}",
    ]
    assert rows(db) == before

    good = tmp_path / "good.csv"
    good.write_text(
        "uid,group_id,whitelist,last_updated\nAA,g,ALWAYS,\nBB,g,NEVER,\n"
        "KEEP,old,NEVER,2020-01-01T00:00:00Z\n"
    )
    code, out, _ = run(capsys, "tokens", "--db", str(db), "import", str(good))
    assert code == 0
    assert out.strip() == (
        f"imported 2 token(s) from {good}; 1 older than the cached copy, kept"
    )
    by_uid = {r["uid"]: r for r in rows(db)}
    assert set(by_uid) == {"AA", "BB", "KEEP"}
    assert by_uid["KEEP"]["group_id"] == "before"  # newer cached copy kept


def test_a_failure_mid_import_rolls_everything_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "edge.db"
    csv_file = tmp_path / "cards.csv"
    csv_file.write_text("uid\n" + "".join(f"U{n}\n" for n in range(10)))
    real_put = repo.put
    calls = []

    def failing_put(conn: Any, token: Any, *, force: bool = False) -> bool:
        calls.append(token.uid)
        if len(calls) == 5:
            raise OSError("disk I/O error")
        return real_put(conn, token, force=force)

    monkeypatch.setattr(repo, "put", failing_put)
    with pytest.raises(OSError, match="disk I/O error"):
        main(["tokens", "--db", str(db), "import", str(csv_file)])
    assert len(calls) == 5
    monkeypatch.undo()
    assert rows(db) == []


def test_import_reports_unreadable_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys,
        "tokens",
        "--db",
        str(tmp_path / "e.db"),
        "import",
        str(tmp_path / "missing.csv"),
    )
    assert code == 2
    assert "cannot read" in err


def test_a_running_controller_sees_cli_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db_path = tmp_path / "edge.db"

    async def scenario() -> tuple[bool, bool, bool]:
        db = await Database.open(db_path)
        auth = Authorizer(db, ManualClock(), [LocalToken("AA")])
        await auth.start()
        before = (await auth.authorize("AA")).accepted
        # The operator, in another process, blocks AA and adds BB.
        cli = ["tokens", "--db", str(db_path)]
        assert await asyncio.to_thread(main, [*cli, "block", "AA"]) == 0
        assert await asyncio.to_thread(main, [*cli, "add", "BB"]) == 0
        await auth.refresh()
        after_aa = (await auth.authorize("AA")).accepted
        after_bb = (await auth.authorize("BB")).accepted
        await db.close()
        return before, after_aa, after_bb

    assert asyncio.run(scenario()) == (True, False, True)
