"""A mixed site under ``edge sim``: Modbus EVSEs and OCPP chargers, one backoffice.

The simulate module (what ``edge sim`` runs) with a board EVSE, an OCPP 1.6J
charger and an OCPP 2.0.1 station of hal_sim: each connects to the
controller's central system over a real websocket (on a port picked at run
time), boots, reports its connector, and its EV's visit runs through
Authorize and the transaction messages (TransactionEvent for the station);
the OCPI uplink delivers everything to the simulated backoffice.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

from drivers.modbus.profile import ProfileLibrary
from edge.config.loader import load_config
from edge.simulate import simulate

from .sites import arrival, site_file

SPEED = 60.0
OCPP = """
[ocpi]
[ocpp]
listen_port = 9000
[[ocpp.charger]]
identity = "CP001"
connector = [{ id = 1, evse_uid = "CP001-1" }]
[[ocpp.charger]]
identity = "CS201"
protocol = "ocpp2.0.1"
connector = [{ id = 1, evse_uid = "CS201-1" }]
[[token]]
uid = "11223344AA"
"""


def _rows(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return list(conn.execute(sql))
    finally:
        conn.close()


async def test_a_mixed_site_delivers_every_visit(tmp_path: Path) -> None:
    visits = (
        arrival("ev-board", "E1", "04A23B1C00", 1, 20, 2000)
        + arrival("ev-ocpp", "CP001-1", "62E3086CED", 2, 25, 2000)
        + arrival("ev-201", "CS201-1", "11223344AA", 2, 25, 2000)
    )
    path = site_file(
        tmp_path, visits, evses=1, extra=OCPP, device_timeout_s=SPEED * 1.5
    )
    config = load_config(path, ProfileLibrary().ids())
    db = tmp_path / "sim.db"
    result = await simulate(config, db, SPEED, 30 * 60)

    at_charger = [t for t in result.truth if t["evse_uid"] == "CP001-1"]
    events = [t["event"] for t in at_charger]
    assert events[:2] == ["plug_in", "card"]
    assert events[-1] == "unplug"
    # the charger's connector went through the store to the backoffice
    [(status,)] = _rows(db, "SELECT status FROM evse_status WHERE evse_uid='CP001-1'")
    assert status == "AVAILABLE"  # Finishing, then Available after the EV left
    outcome = result.outcome
    assert outcome is not None
    assert outcome.left == 0, outcome.backlog
    assert outcome.dead_letters == []
    assert outcome.delivered["locations"] == 1

    sessions = _rows(db, "SELECT evse_uid, status FROM sessions ORDER BY evse_uid")
    assert ("E1", "COMPLETED") in sessions
    assert [t for t in at_charger if t["event"] == "no_charge"] == []
    # the EV charged through the charger's own transaction, billed and delivered
    assert at_charger[-1]["energy_wh"] > 0
    assert ("CP001-1", "COMPLETED") in sessions
    assert ("CS201-1", "COMPLETED") in sessions  # the 2.0.1 station's too
    assert outcome.delivered["sessions"] == 3
    assert outcome.delivered["cdrs"] == 3
    meters = {
        uid: (start, stop)
        for uid, start, stop in _rows(
            db, "SELECT evse_uid, meter_start_wh, meter_stop_wh FROM sessions"
        )
    }
    for uid in ("CP001-1", "CS201-1"):
        at = [t for t in result.truth if t["evse_uid"] == uid]
        assert [t["event"] for t in at] == ["plug_in", "card", "unplug"]
        start, stop = meters[uid]
        taken = float(at[-1]["energy_wh"])
        assert taken > 0
        assert abs(stop - start - taken) <= 1.0  # its register: what the EV took


def test_edge_sim_runs_the_ocpp_demo_and_delivers_every_session(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    db = tmp_path / "demo.db"
    truth = tmp_path / "truth.jsonl"
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "edge"),
            "sim",
            "--config",
            str(root / "config" / "demo-ocpp.toml"),
            "--speed",
            "600",
            "--duration",
            "4h",
            "--quiet",
            "--json",
            "--db",
            str(db),
            "--truth",
            str(truth),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    sessions = _rows(db, "SELECT evse_uid, status FROM sessions")
    at_chargers = [s for s in sessions if s[0].startswith("CP00")]
    assert {uid for uid, _ in at_chargers} == {"CP001-1", "CP002-1"}
    assert all(status == "COMPLETED" for _, status in sessions)
    uplink = figures["uplink"]
    assert uplink["backlog"] == 0
    assert uplink["dead_letters"] == 0
    assert uplink["delivered"]["sessions"] == len(sessions)
    assert uplink["delivered"]["cdrs"] == len(sessions)
    lines = [json.loads(line) for line in truth.read_text().splitlines()]
    charged = [t for t in lines if t["event"] == "unplug" and t["energy_wh"] > 0]
    assert len(charged) == len(sessions)  # every EV that took energy was billed
    assert not [t for t in lines if t["event"] == "no_charge"]
