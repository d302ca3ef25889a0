"""`edge sim` end to end: real drivers, the Site, the uplink and the simulated eMSP,
with an uplink outage in the schedule; the run ends with an empty backlog."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.modbus.profile import ProfileLibrary
from edge.config.loader import load_config
from edge.simulate import simulate
from edge.store.db import open_sync
from edge.store.outbox import all_items
from edge.store.sessions import list_sessions
from tests.integration.sites import arrival, site_file

OCPI = """
[ocpi]
session_patch_interval_s = 300
retry_max_s = 60
[[ocpi.sim_outage]]
start_min = 5
duration_min = 35
"""


@pytest.mark.slow
async def test_sim_with_an_uplink_outage_ends_with_an_empty_backlog(tmp_path: Path):
    # ev2 leaves 3 minutes after the outage ends (at 40), less than one update
    # interval (5 min) after its session is sent again: leaving at 45 let a
    # progress PATCH, rightly sent once the link was back, fit in before the
    # final one on a slow machine (3 writes for a session)
    visits = arrival("ev1", "E1", "04A23B1C00", 6, 30, 8000) + arrival(
        "ev2", "E2", "62E3086CED", 10, 43, 6000
    )
    config = load_config(
        site_file(tmp_path, visits, extra=OCPI), ProfileLibrary().ids()
    )
    db_path = tmp_path / "edge.db"
    result = await simulate(config, db_path, speed=600, duration_s=60 * 60)

    db = open_sync(db_path)
    try:
        stored = list_sessions(db)
        queued = all_items(db.conn)
    finally:
        db.conn.close()
    # how many visits charged is the simulator's business (a loaded machine can
    # slow the drivers); every session the store has must have reached the eMSP
    completed = [s for s in stored if s.status.value == "COMPLETED"]
    assert completed
    assert len(completed) == len(stored)
    assert queued == []
    assert result.uplink is not None
    assert result.uplink["backlog"] == 0
    received = result.uplink["backoffice"]
    assert isinstance(received, dict)
    assert received["sessions"] == {"COMPLETED": len(completed)}
    assert received["cdrs"] == len(completed)
    assert received["cdr_posts"] == {1: len(completed)}  # each CDR POSTed once
    # progress every 5 min would be ~7 writes per session; offline changes fold:
    # at most a PUT and the final PATCH each, counted as received (refused too)
    writes = received["session_requests"]
    assert isinstance(writes, dict)
    assert set(writes) <= {1, 2}
    assert sum(writes.values()) == len(completed)
    assert received["locations"] == 1
    assert received["rejected"] == 0
    assert received["link_up"] is True
    assert (tmp_path / "edge.ocpi.json").exists()  # credentials next to the db
