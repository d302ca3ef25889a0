"""kill -9 of ``edge run`` right after a 2.0.1 Started is answered keeps the session.

The controller runs the demo site with CP002 declared as an OCPP 2.0.1 station
(on a free port) as a real process; hal_sim's 2.0.1 station begins a
transaction, the controller is killed with SIGKILL as soon as the answer
arrives, and a new controller on the same SQLite file gets the station's
replay: the Started again (its answer was lost, as far as the station knows),
then Updated and Ended. One session, completed with the exact energy, its CDR
queued once, and of its events only the Ended one kept.
"""

from __future__ import annotations

import asyncio
import signal
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hal_sim.ocpp.charge_point_201 import SimChargingStation, Transaction
from hal_sim.ocpp.link import open_link
from tests.integration.processes import query, start, stop, wait_for

ROOT = Path(__file__).resolve().parents[2]
CARD = "04A1B2C3000001"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _site(tmp_path: Path, port: int) -> Path:
    text = (ROOT / "config" / "demo-ocpp.toml").read_text()
    head, cp002 = text.split('identity = "CP002"')
    cp002 = cp002.replace('protocol = "ocpp1.6"', 'protocol = "ocpp2.0.1"', 1)
    site = head.replace("listen_port = 9000", f"listen_port = {port}")
    path = tmp_path / "site.toml"
    path.write_text(site + 'identity = "CP002"' + cp002)
    return path


def _controller(site: Path, db: Path, log: Path, port: int):
    proc = start(["edge", "-v", "run", "--config", str(site), "--db", str(db)], log)
    banner = f"OCPP central system on ws://127.0.0.1:{port}/"
    mark = log.read_text().count(banner) if log.exists() else 0
    wait_for(
        f"the OCPP server on :{port}",
        lambda: log.read_text().count(banner) > mark or proc.poll() is not None,
        timeout=60,
    )
    assert proc.poll() is None, log.read_text()
    return proc


class _Wall:
    """The station's own clock: wall time (it is not the controller's)."""

    def utcnow(self) -> datetime:
        return datetime.now(UTC)

    def to_wall(self, seconds: float) -> float:
        return seconds


async def _station(port: int) -> tuple[SimChargingStation, asyncio.Task]:
    link = await open_link(
        f"ws://127.0.0.1:{port}/CP002", "CP002", subprotocols=("ocpp2.0.1",)
    )
    cs = SimChargingStation("CP002", link, _Wall())
    run = asyncio.create_task(cs.run())
    await cs.boot()
    return cs, run


async def test_kill_9_after_a_201_start_keeps_one_session(tmp_path):
    port = _free_port()
    site, db, log = _site(tmp_path, port), tmp_path / "edge.db", tmp_path / "edge.log"
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    proc = _controller(site, db, log, port)
    try:
        cs, run = await _station(port)
        tx = await cs.start_transaction(1, CARD, 5_000.0, timestamp=t0)
        proc.send_signal(signal.SIGKILL)  # the moment the answer is in
        proc.wait()
        await run  # the link is lost
    finally:
        stop(proc)
    [(sid, status)] = query(db, "SELECT id, status FROM sessions")
    assert status == "ACTIVE"

    proc = _controller(site, db, log, port)
    try:
        cs, run = await _station(port)
        again = Transaction(tx.transaction_id, 1)
        await cs.transaction_event(
            again, "Started", "Authorized", energy_wh=5_000.0, id_token=CARD,
            charging_state="Charging", timestamp=t0,
        )  # fmt: skip
        await cs.meter(again, 7_000.0, timestamp=t0 + timedelta(minutes=10))
        await cs.stop_transaction(again, 8_000.0, timestamp=t0 + timedelta(minutes=20))
        await cs.link.close()
        await run
    finally:
        stop(proc)
    assert proc.returncode == 0, log.read_text()
    assert "Started seqNo 0 of transaction" in log.read_text()

    rows = query(db, "SELECT id, status, meter_start_wh, meter_stop_wh FROM sessions")
    assert rows == [(sid, "COMPLETED", 5_000, 8_000)]
    keys = [k for (k,) in query(db, "SELECT key FROM outbox WHERE key LIKE 'cdrs:%'")]
    assert keys == [f"cdrs:{sid}"]
    seqs = query(db, "SELECT seq_no, event_type FROM ocpp201_events")
    assert seqs == [(2, "Ended")]  # an ended transaction keeps one row
