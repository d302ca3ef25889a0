"""``edge run`` on a network: token A off argv, card uids never whole in its log.

Three real processes: the simulated backoffice (``python -m hal_sim.backoffice``),
the controller (``edge -vv run``, every request line) with token A in
a file, and ``hal-sim serve`` for the meters, boards and card readers. Two cards
are swiped: one the backoffice lists (pulled with the token list, accepted), one
nobody knows (asked in real time, refused). Then the controller's log and the
command line ``ps`` shows are searched for every uid in play.
"""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

from .processes import query, start, stop, wait_for
from .sites import arrival, free_port, site_file

SPEED = "10"
TOKEN_A = "tokenA-5f1e9c0d2b7a4e33"
UNKNOWN = "0412AB00C3"
LISTED = "04A00003"  # hal_sim.backoffice.tokens.sample_tokens, n = 3
SITE_TOKENS = ("04A23B1C00", "62E3086CED")
LISTED_ALL = tuple(f"{0x04A00000 + n:08X}" for n in range(20))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_run_keeps_token_a_off_argv_and_uids_out_of_its_log(tmp_path: Path) -> None:
    bo_log, edge_log, sim_log = (tmp_path / n for n in ("bo.log", "edge.log", "sim"))
    backoffice = start(
        ["python", "-m", "hal_sim.backoffice", "--direct", "--token-a", TOKEN_A],
        bo_log,
    )
    edge = sim = None
    try:
        versions_url = wait_for(
            "backoffice versions URL",
            lambda: re.search(r"versions URL: (\S+)", bo_log.read_text()),
        ).group(1)
        secret = tmp_path / "token-a"
        secret.write_text(TOKEN_A + "\n")
        secret.chmod(0o600)
        creds = tmp_path / "private" / "ocpi.json"
        site = site_file(
            tmp_path,
            arrival("ev1", "E1", UNKNOWN, 0.1, 30, 3000)
            + arrival("ev2", "E2", LISTED, 0.1, 30, 3000),
            extra=(
                f'[auth]\nremote_timeout_s = 30\n[ocpi]\ncredentials_path = "{creds}"\n'
                f"listen_port = {free_port()}\n"
            ),
        )
        # the listed uids are 8 hex digits: E2 has a line reader (RDM6300: 10)
        site.write_text(
            site.read_text().replace(
                'rfid-E2", kind = "rdm6300"', 'rfid-E2", kind = "line"'
            )
        )
        db = tmp_path / "private" / "edge.db"
        # The simulator starts beside the controller; its cars come once the
        # token list is in (``--start-when``), so the listed card is local.
        gate = tmp_path / "token-list-pulled"
        serve = ["hal-sim", "serve", str(site), "--speed", SPEED]
        sim = start([*serve, "--start-when", str(gate)], sim_log)
        edge = start(
            [
                "edge",
                "-vv",
                "run",
                "--config",
                str(site),
                "--db",
                str(db),
                "--speed",
                SPEED,
                "--ocpi-versions-url",
                versions_url,
                "--ocpi-token-a-file",
                str(secret),
            ],
            edge_log,
        )
        cmdline = Path(f"/proc/{edge.pid}/cmdline")
        argv = wait_for("its command line", cmdline.read_bytes).split(b"\0")
        assert b"run" in argv
        assert str(secret).encode() in argv
        assert not any(TOKEN_A.encode() in a for a in argv)
        # registered with the token from the file; the token list is pulled
        wait_for(
            "registration",
            lambda: creds.exists() and json.loads(creds.read_text()).get("endpoints"),
        )
        wait_for("token list", lambda: "tokens" in edge_log.read_text())
        gate.touch()
        wait_for(
            "the listed card's session",
            lambda: query(db, "SELECT id FROM sessions WHERE token_uid = '04A00003'"),
        )
        wait_for(
            "the real-time refusal of the unknown card",
            lambda: "tokens/****00C3/authorize" in edge_log.read_text(),
        )
        assert mode(db.parent) == 0o700
        assert {p.name: mode(p) for p in db.parent.iterdir()} == {
            "edge.db": 0o600,
            "edge.db-wal": 0o600,
            "edge.db-shm": 0o600,
            "ocpi.json": 0o600,
        }
    finally:
        for proc in (sim, edge, backoffice):
            if proc is not None:
                stop(proc)
    text = edge_log.read_text()
    # the log does show the swipes and the OCPI traffic, redacted
    assert "RFID token presented on" in text
    assert "****00C3" in text
    assert "****0003" in text
    # our client's request line (httpx's own is off), from the real-time ask
    assert re.search(r"POST \S+/tokens/\*\*\*\*00C3/authorize -> HTTP 404", text)
    assert "token ****00C3: refused (eMSP: unknown token)" in text
    for uid in (UNKNOWN, LISTED, *SITE_TOKENS, *LISTED_ALL):
        assert uid not in text, (
            f"{uid} in the log: {text[text.find(uid) - 300 :][:600]}"
        )
    assert TOKEN_A not in text
