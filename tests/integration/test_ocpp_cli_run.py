"""``edge run`` with [ocpp]: a bad section stops the start naming the key; the
OCPP demo (config/demo-ocpp.toml) serves its chargers from a real process."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from edge.model.clock import SystemClock
from hal_sim.ocpp.charge_point import SimChargePoint
from hal_sim.ocpp.link import open_link
from tests.integration.ocpp_rig import demo_site, edge_run
from tests.integration.processes import query, stop, wait_for
from tests.integration.sites import free_port, site_file

EDGE = str(Path(sys.executable).parent / "edge")
CHARGER = """
[ocpp]
listen_port = {port}
[[ocpp.charger]]
identity = "CP1"
password_file = "{password}"
connector = [{{ id = 1, evse_uid = "C1" }}]
"""


def edge(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EDGE, *args], capture_output=True, text=True, timeout=60, cwd=cwd, check=False
    )


def test_run_names_a_readable_password_file_and_a_taken_port(tmp_path):
    password = tmp_path / "cp1.password"
    password.write_text("a-long-enough-password\n")
    password.chmod(0o644)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        extra = CHARGER.format(port=port, password=password)
        site = site_file(tmp_path, "", evses=1, extra=extra)
        db = tmp_path / "store" / "edge.db"
        ran = edge("run", "--config", str(site), "--db", str(db), cwd=tmp_path)
    assert ran.returncode == 2
    assert "ocpp.charger[0].password_file: " in ran.stderr
    assert "every user may read it" in ran.stderr
    assert f"ocpp.listen_port: cannot listen on 127.0.0.1:{port}" in ran.stderr
    assert "a-long-enough-password" not in ran.stderr
    assert "Traceback" not in ran.stderr
    assert not db.parent.exists()

    password.chmod(0o600)  # fixed: the site would start (the check passes)
    checked = edge("config", "check", str(site), cwd=tmp_path)
    assert checked.returncode == 0, checked.stderr


async def _charger_visit(port: int) -> tuple[str, str]:
    link = await open_link(f"ws://127.0.0.1:{port}/CP001", "CP001")
    cp = SimChargePoint("CP001", link, SystemClock())
    run = asyncio.create_task(cp.run())
    boot = await cp.boot()
    await cp.status(1, "Preparing")
    card = await cp.authorize("04A1B2C3000001")
    stranger = await cp.authorize("DEADBEEF0000")
    await link.close()
    await run
    assert stranger.status == "Invalid"
    return boot.status, card.status


def test_edge_run_serves_the_ocpp_demo(tmp_path):
    port = free_port()
    db, log = tmp_path / "edge.db", tmp_path / "edge.log"
    proc = edge_run(demo_site(tmp_path, port), db, log, port)
    try:
        assert asyncio.run(_charger_visit(port)) == ("Accepted", "Accepted")
        rows = wait_for(
            "CP001-1's status in the store",
            lambda: query(
                db, "SELECT status FROM evse_status WHERE evse_uid = 'CP001-1'"
            ),
        )
        assert rows[0][0] in {"CHARGING", "UNKNOWN"}  # Preparing, then it left
        os.kill(proc.pid, signal.SIGHUP)  # no [ocpp] TLS: logged, still running
        wait_for("SIGHUP logged", lambda: "nothing to reload" in log.read_text())
        assert proc.poll() is None
    finally:
        stop(proc)
    assert proc.returncode == 0, log.read_text()
