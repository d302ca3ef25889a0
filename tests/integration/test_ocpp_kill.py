"""kill -9 of ``edge run`` right after StartTransaction's answer keeps the session.

The controller runs ``config/demo-ocpp.toml`` (on a free port) as a real
process; hal_sim's 1.6J charge point starts a transaction, the controller is
killed with SIGKILL as soon as the answer arrives, and a new controller on
the same SQLite file takes the charger's MeterValues and StopTransaction for
that transactionId: one session, completed with the exact energy, its CDR
queued once and buildable.
"""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime, timedelta

from edge.config.loader import load_config
from edge.config.schema import OcpiSection
from edge.model.clock import SystemClock
from edge.store.db import open_sync
from edge.store.ocpp_transactions import find
from edge.store.sessions import get_session
from edge.uplink.ocpi.push.objects import session_cdr
from edge.uplink.ocpi.site_context import site_context
from hal_sim.ocpp.charge_point import SimChargePoint
from hal_sim.ocpp.link import open_link
from hal_sim.ocpp.messages import energy
from tests.integration.ocpp_rig import demo_site, edge_run
from tests.integration.processes import query, stop
from tests.integration.sites import free_port

CARD = "04A1B2C3000001"


async def _charger(port: int) -> SimChargePoint:
    link = await open_link(f"ws://127.0.0.1:{port}/CP001", "CP001")
    return SimChargePoint("CP001", link, SystemClock())  # its own clock, not ours


async def test_kill_9_after_the_start_answer_keeps_the_session(tmp_path):
    port = free_port()
    site, db, log = (
        demo_site(tmp_path, port),
        tmp_path / "edge.db",
        tmp_path / "edge.log",
    )
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    proc = edge_run(site, db, log, port)
    try:
        cp = await _charger(port)
        run = asyncio.create_task(cp.run())
        started = await cp.start_transaction(1, CARD, 5_000, t0)
        proc.send_signal(signal.SIGKILL)  # the moment the answer is in
        proc.wait()
        await run  # the link is lost
    finally:
        stop(proc)
    tid = started.transaction_id
    assert started.id_tag_info.status == "Accepted"
    store = open_sync(db)
    tx = find(store, "CP001", tid)
    assert tx is not None
    assert tx.session_id is not None
    sid = tx.session_id
    active = get_session(store, sid)
    assert active is not None
    assert active.status.value == "ACTIVE"
    store.conn.close()

    proc = edge_run(site, db, log, port)
    try:
        cp = await _charger(port)
        run = asyncio.create_task(cp.run())
        await cp.meter_values(1, tid, [energy(t0 + timedelta(minutes=10), 7_000)])
        await cp.stop_transaction(tid, 8_000, t0 + timedelta(minutes=20))
        await cp.link.close()
        await run
    finally:
        stop(proc)
    assert proc.returncode == 0, log.read_text()

    assert "1 transactions still running, followed on" in log.read_text()
    store = open_sync(db)
    s = get_session(store, sid)
    assert s is not None
    assert (s.status.value, s.energy_wh) == ("COMPLETED", 3_000)
    assert (s.start, s.end) == (t0, t0 + timedelta(minutes=20))
    keys = [k for (k,) in query(db, "SELECT key FROM outbox WHERE key LIKE 'cdrs:%'")]
    assert keys == [f"cdrs:{sid}"]
    assert len(query(db, "SELECT id FROM sessions")) == 1
    cdr = session_cdr(store, site_context(load_config(site), OcpiSection()), s, None)
    assert cdr.total_energy == 3
    assert cdr.cdr_location.evse_uid == "CP001-1"
