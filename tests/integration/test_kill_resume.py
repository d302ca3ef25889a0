"""A controller killed with SIGKILL mid-session resumes that session from the
database when it starts again: same session, no duplicate, energy from the meter."""

from __future__ import annotations

import signal
from pathlib import Path

from tests.powercut.rig import Zygote

from .processes import query, ready, start_sim, stop, truth, wait_for
from .sites import arrival, site_file

SPEED = "400"


def test_killed_controller_resumes_the_session(tmp_path: Path) -> None:
    site = site_file(
        tmp_path,
        arrival("ev1", "E1", "04A23B1C00", 1, 45, 6000),
        evses=1,
        device_timeout_s=float(SPEED) * 1.5,  # 1.5 s of wall time
    )
    db, truth_log, log = (
        tmp_path / "edge.db",
        tmp_path / "truth.jsonl",
        tmp_path / "log",
    )
    run = ["run", "--config", str(site), "--db", str(db), "--speed", SPEED]
    # The simulated EV arrives only once the controller is READY (its card
    # reader open, its devices polled): the simulator waits for the ready file.
    sim = start_sim(site, SPEED, truth_log, tmp_path / "ready-1", log)
    # Controllers forked ready-imported (tests/powercut/zygote.py), as
    # ``edge run`` (its own start, not Python's imports).
    zygote = Zygote(tmp_path / "zygote.log")
    edge = zygote.start([*run, "--ready-file", str(tmp_path / "ready-1")], log)
    try:
        ready(tmp_path / "ready-1")
        active = wait_for(
            "active session",
            lambda: query(
                db, "SELECT id, meter_start_wh FROM sessions WHERE status='ACTIVE'"
            ),
        )
        zygote.stop(edge, signal.SIGKILL)  # power cut: no clean-up at all
        assert query(db, "SELECT status FROM sessions") == [("ACTIVE",)]
        edge = zygote.start([*run, "--ready-file", str(tmp_path / "ready-2")], log)
        done = wait_for(
            "session completed",
            lambda: query(
                db,
                "SELECT id, meter_start_wh, meter_stop_wh, status FROM sessions "
                "WHERE status='COMPLETED'",
            ),
            timeout=60,
        )
    finally:
        try:
            zygote.stop(edge)
        finally:
            zygote.close()
            stop(sim)
    # SIGKILL left the first ready file; the clean stop removed the second's.
    assert (tmp_path / "ready-1").exists()
    assert not (tmp_path / "ready-2").exists()
    rows = query(db, "SELECT id FROM sessions")
    assert rows == [(active[0][0],)]  # the same session, and only it
    sid, meter_start, meter_stop, _ = done[0]
    assert (sid, meter_start) == active[0]
    [unplug] = [t for t in truth(truth_log) if t["event"] == "unplug"]
    taken = unplug["energy_wh"]
    assert taken == 6000.0
    assert abs((meter_stop - meter_start) - taken) <= 0.001 * taken, log.read_text()[
        -2000:
    ]
    # the outbox key is unique: a CDR queued twice folds, so count by version
    cdrs = query(db, "SELECT key, version FROM outbox WHERE module = 'cdrs'")
    assert cdrs == [(f"cdrs:{sid}", 1)]
