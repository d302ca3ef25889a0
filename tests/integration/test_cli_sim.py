"""`edge sim` prints what its uplink delivered, and an outage leaves no backlog.

Each run is 24 site minutes at x450 (about 3 wall seconds, plus the drain; the
visits end at minutes 16 and 20): a visit of 14 site minutes still spans two
seconds of wall time, and edge sim's stall-free clock does not count the
stalls of a loaded machine.
"""

from __future__ import annotations

import json
from pathlib import Path

from edge.cli import main
from edge.store.db import open_sync
from edge.store.outbox import OutboxItem, all_items
from edge.store.sessions import list_sessions
from tests.integration.sites import arrival, site_file

VISITS = arrival("ev1", "E1", "04A23B1C00", 2, 16, 3000) + arrival(
    "ev2", "E2", "62E3086CED", 3, 20, 3000
)


def outage(start_min: float, duration_min: float) -> str:
    return (
        "[ocpi]\nsession_patch_interval_s = 300\nretry_max_s = 600\n"
        f"[[ocpi.sim_outage]]\nstart_min = {start_min}\n"
        f"duration_min = {duration_min}\n"
    )


def run(tmp_path: Path, extra: str, *flags: str) -> tuple[int, Path]:
    site = site_file(tmp_path, VISITS, extra=extra)
    db = tmp_path / "edge.db"
    argv = ["sim", "--config", str(site), "--db", str(db), "--quiet"]
    code = main([*argv, "--duration", "24m", "--speed", "450", *flags])
    return code, db


def stored(db_path: Path) -> tuple[int, int, list[OutboxItem]]:
    db = open_sync(db_path)
    try:
        sessions = list_sessions(db)
        queued = list(all_items(db.conn))
    finally:
        db.conn.close()
    completed = sum(1 for s in sessions if s.status.value == "COMPLETED")
    return len(sessions), completed, queued


def test_json_summary_counts_what_the_emsp_holds_after_an_outage(tmp_path, capsys):
    code, db = run(tmp_path, outage(5, 12), "--json")
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    sessions, completed, queued = stored(db)
    assert code == 0
    assert queued == []
    assert (sessions, completed) == (2, 2)  # both cars charged (the day began READY)
    uplink = figures["uplink"]
    assert uplink["backlog"] == 0
    assert uplink["backlog_by_module"] == {}
    assert uplink["dead_letters"] == 0
    assert uplink["delivered"]["locations"] == 1
    assert uplink["delivered"]["sessions"] == sessions
    assert uplink["delivered"]["cdrs"] == completed
    # each delivered object took at least one acknowledged write
    assert uplink["acknowledged"] >= 1 + sessions + completed
    assert uplink["backoffice"]["link_up"] is True
    assert figures["plug_ins"] >= figures["departures"] >= 1
    assert figures["database"] == str(db)


def test_an_outage_still_on_at_the_end_is_ended_and_the_backlog_drains(
    tmp_path, capsys
):
    # down from minute 10 to minute 130: the visits end, and the run, inside it
    code, db = run(tmp_path, outage(10, 120))
    out = capsys.readouterr().out
    sessions, completed, queued = stored(db)
    assert code == 0, out
    assert queued == []
    assert (sessions, completed) == (2, 2)
    assert "uplink: backlog empty" in out
    assert "uplink: 0 dead letter(s)" in out
    assert f"{completed} cdrs" in out
    assert f"{sessions} sessions" in out


def test_a_run_without_an_uplink_prints_no_uplink_summary(tmp_path, capsys):
    code, _ = run(tmp_path, "", "--json", "--no-ocpi")
    figures = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert code == 0
    assert figures["uplink"] is None
    # a healthy simulated meter has every reading believed
    assert figures["meters"] == {
        "E1": {"rejected": {}, "resets": 0},
        "E2": {"rejected": {}, "resets": 0},
    }
