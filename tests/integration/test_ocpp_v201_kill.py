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
from datetime import UTC, datetime, timedelta

from edge.model.clock import SystemClock
from hal_sim.ocpp.charge_point_201 import SimChargingStation, Transaction
from hal_sim.ocpp.link import open_link
from tests.integration.ocpp_rig import demo_site, edge_run
from tests.integration.processes import query, stop
from tests.integration.sites import free_port

CARD = "04A1B2C3000001"


async def _station(port: int) -> tuple[SimChargingStation, asyncio.Task]:
    link = await open_link(
        f"ws://127.0.0.1:{port}/CP002", "CP002", subprotocols=("ocpp2.0.1",)
    )
    cs = SimChargingStation("CP002", link, SystemClock())  # its own clock, not ours
    run = asyncio.create_task(cs.run())
    await cs.boot()
    return cs, run


async def test_kill_9_after_a_201_start_keeps_one_session(tmp_path):
    port = free_port()
    site = demo_site(tmp_path, port, cp002="ocpp2.0.1")
    db, log = tmp_path / "edge.db", tmp_path / "edge.log"
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    proc = edge_run(site, db, log, port)
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

    proc = edge_run(site, db, log, port)
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
