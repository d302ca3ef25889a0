"""`edge sync status|now|retry` and `edge ocpi credentials ...` on real files."""

from __future__ import annotations

import argparse
import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge.cli import main, sync
from edge.model.clock import SystemClock
from edge.model.session import Session, SessionStatus
from edge.store import outbox
from edge.store import sessions as repo
from edge.store.db import open_sync, transaction
from edge.uplink.ocpi.registration import CredentialsStore
from hal_sim.backoffice.server import SimBackoffice

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SITE = """
[site]
name = "Depot"
[[bus]]
id = "gw"
transport = "tcp"
host = "127.0.0.1"
port = 1502
[[evse]]
uid = "E1"
meter = { bus = "gw", unit = 1, model = "eastron_sdm630" }
board = { bus = "gw", unit = 2, model = "evse_wb" }
[store]
path = "DB"
[ocpi]
credentials_path = "CREDS"
listen_port = 0
"""


def site(tmp_path: Path) -> Path:
    path = tmp_path / "site.toml"
    path.write_text(
        SITE.replace("DB", str(tmp_path / "edge.db")).replace(
            "CREDS", str(tmp_path / "ocpi.json")
        )
    )
    return path


def store_with_backlog(tmp_path: Path) -> None:
    db = open_sync(tmp_path / "edge.db")
    s = Session(
        id="S1",
        evse_uid="E1",
        token_uid="AA",
        token_type="RFID",
        contract_id=None,
        auth_method="WHITELIST",
        auth_reason="x",
        status=SessionStatus.ACTIVE,
        start=T0,
        end=None,
        meter_start_wh=0,
        meter_last_wh=0,
        meter_stop_wh=None,
        stop_reason=None,
        last_updated=T0,
    )
    repo.start_session(db, s)
    repo.stop_session(db, "S1", 4200, T0.replace(hour=9), "EV left")
    with transaction(db) as conn:
        [item] = [
            i
            for i in outbox.claim(conn, "X", T0.replace(hour=10), 60, 10)
            if i.key == "sessions:S1"
        ]
        outbox.dead_letter(conn, item, "X", "OCPI 2001: bad kwh", T0)
    db.conn.close()


def test_sync_status_json_and_retry(tmp_path: Path, capsys) -> None:
    store_with_backlog(tmp_path)
    assert main(["sync", "status", "--config", str(site(tmp_path)), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["backlog"]["sessions"] == {
        "queued": 0,
        "blocked": 0,
        "dead": 1,
        "oldest": None,
    }
    assert out["backlog"]["cdrs"]["blocked"] == 1  # behind its dead session
    assert out["dead_letters"] == [
        {"key": "sessions:S1", "attempts": 1, "reason": "OCPI 2001: bad kwh"}
    ]
    assert main(["sync", "status", "--db", str(tmp_path / "edge.db")]) == 0
    text = capsys.readouterr().out
    assert "DEAD sessions:S1 after 1 attempt(s): OCPI 2001: bad kwh" in text
    assert main(["sync", "retry", "--db", str(tmp_path / "edge.db")]) == 0
    assert "1 dead letter(s) queued again" in capsys.readouterr().out
    main(["sync", "status", "--db", str(tmp_path / "edge.db"), "--json"])
    assert json.loads(capsys.readouterr().out)["dead_letters"] == []


def test_credentials_set_show_delete(tmp_path: Path, capsys) -> None:
    cfg = str(site(tmp_path))
    secret = tmp_path / "token-c"
    secret.write_text("secret-token-C\n")
    assert (
        main(
            [
                "ocpi",
                "credentials",
                "set",
                "--config",
                cfg,
                "--versions-url",
                "https://emsp.example/versions",
                "--token-c-file",
                str(secret),
            ]
        )
        == 0
    )
    capsys.readouterr()
    path = tmp_path / "ocpi.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    creds = CredentialsStore(path).load()
    assert creds is not None
    assert (creds.token_c, creds.installed) == ("secret-token-C", "out-of-band")
    assert main(["ocpi", "credentials", "show", "--config", cfg]) == 0
    shown = capsys.readouterr().out
    assert "secret-token-C" not in shown  # never printed
    assert json.loads(shown)["token_c"].startswith("secr")
    assert main(["ocpi", "credentials", "delete", "--config", cfg]) == 0
    assert not path.exists()


async def test_sync_now_registers_and_drains(
    tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    store_with_backlog(tmp_path)
    db = open_sync(tmp_path / "edge.db")
    with transaction(db) as conn:
        outbox.requeue_dead(conn, T0)
    db.conn.close()
    async with SimBackoffice(SystemClock()) as bo:
        args = argparse.Namespace(
            config=str(site(tmp_path)),
            db=None,
            timeout=20.0,
            ocpi_versions_url=bo.versions_url,
        )
        monkeypatch.setenv("EDGE_OCPI_TOKEN_A", bo.token_a)
        assert await sync._now(args) == 0
        assert ("NL", "EXA", "S1") in bo.state.cdrs
        assert bo.state.sessions[("NL", "EXA", "S1")]["status"] == "COMPLETED"
        # what arrived: the location, the session and its CDR, once each
        got = [(x.method, x.module, x.object_id) for x in bo.state.log]
        assert [g for g in got if g[1] in ("locations", "sessions", "cdrs")] == [
            ("PUT", "locations", "LOC1"),
            ("PUT", "sessions", "S1"),
            ("POST", "cdrs", "S1"),
        ]
    out = capsys.readouterr().out
    assert "3/3 delivered" in out  # location, session, CDR
    assert "0 left" in out
