"""A car swapped while the controller is down does not charge on the old session.

The EVSE-WB board's "disable EVSE after charge" latch disables the board once the
first EV leaves, so the second EV cannot draw while nobody watches; on restart the
controller finds the board disabled, closes the first session with the meter's
reading, and treats the second EV as a new plug-in that needs its own card.
"""

from __future__ import annotations

import signal
from pathlib import Path

from tests.powercut.rig import Zygote

from .processes import query, ready, start_sim, stop, truth, wait_for
from .sites import arrival, site_file

SPEED = "100"
FIRST_CARD, SECOND_CARD = "04A23B1C00", "62E3086CED"


def test_car_swapped_while_controller_down(tmp_path: Path) -> None:
    visits = arrival("ev1", "E1", FIRST_CARD, 1, 8, 20000) + arrival(
        "ev2", "E1", SECOND_CARD, 9, 30, 2000
    )
    # The second driver keeps swiping (every minute) until the restarted
    # controller takes the card, however long its restart takes.
    retry = "card_retry_s = 60.0\ncard_attempts = 20\n"
    site = site_file(
        tmp_path, visits, evses=1, sim=retry, device_timeout_s=float(SPEED) * 1.5
    )
    db, truth_log = tmp_path / "edge.db", tmp_path / "truth.jsonl"
    log = tmp_path / "log"
    run = ["run", "--config", str(site), "--db", str(db), "--speed", SPEED]
    sim = start_sim(site, SPEED, truth_log, tmp_path / "ready-1", log)
    # Controllers forked ready-imported (tests/powercut/zygote.py): the restart
    # is the controller's own, not Python's imports, a few site seconds.
    zygote = Zygote(tmp_path / "zygote.log")
    edge = zygote.start([*run, "--ready-file", str(tmp_path / "ready-1")], log)
    try:
        ready(tmp_path / "ready-1")
        # The board confirmed its enable for this session (and that is stored).
        first = wait_for(
            "first session charging",
            lambda: query(
                db,
                "SELECT id, meter_start_wh FROM sessions "
                "WHERE status = 'ACTIVE' AND board_enabled = 1",
            ),
        )[0]
        zygote.stop(edge, signal.SIGKILL)
        wait_for(
            "second EV plugged in",
            lambda: [t for t in truth(truth_log) if t["ev"] == "ev2"],
            timeout=60,
        )
        edge = zygote.start([*run, "--ready-file", str(tmp_path / "ready-2")], log)
        wait_for(
            "second EV gone",
            lambda: [
                t
                for t in truth(truth_log)
                if t["ev"] == "ev2" and t["event"] == "unplug"
            ],
            timeout=90,
        )
        wait_for(
            "both sessions closed",
            lambda: (
                len(query(db, "SELECT 1 FROM sessions WHERE status='COMPLETED'")) == 2
            ),
        )
    finally:
        try:
            zygote.stop(edge)
        finally:
            zygote.close()
            stop(sim)
    rows = query(
        db,
        "SELECT id, token_uid, meter_start_wh, meter_stop_wh, stop_reason "
        "FROM sessions ORDER BY rowid",
    )
    assert len(rows) == 2, rows
    (sid1, card1, start1, stop1, reason1), (_, card2, start2, stop2, _) = rows
    taken = {
        t["ev"]: t["energy_wh"] for t in truth(truth_log) if t["event"] == "unplug"
    }
    # The first session closed with the first EV's energy, for the reason why.
    assert (sid1, start1, card1) == (first[0], first[1], FIRST_CARD)
    assert reason1 == "EV_DISCONNECTED_WHILE_DOWN", log.read_text()[-3000:]
    assert 0 < taken["ev1"] < 20000
    assert abs((stop1 - start1) - taken["ev1"]) <= 1 + 0.001 * taken["ev1"]
    # The second EV took nothing while the controller was down, and charged on a
    # session of its own card once it was shown to the restarted controller.
    assert card2 == SECOND_CARD
    assert start2 == stop1
    assert taken["ev2"] == 2000.0  # full: 21 site minutes, 11 to charge, a restart
    assert abs((stop2 - start2) - taken["ev2"]) <= 1 + 0.001 * taken["ev2"]
    # one CDR queued per session, each once (a second enqueue folds: version 2)
    cdrs = query(db, "SELECT key, version FROM outbox WHERE module = 'cdrs'")
    assert sorted(cdrs) == sorted((f"cdrs:{r[0]}", 1) for r in rows)
