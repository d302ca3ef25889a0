"""The walking skeleton end to end: simulated EVs and cards, real Modbus TCP,
real ptys, a real SQLite file; the sessions must match the simulator's physics."""

from __future__ import annotations

from pathlib import Path

from drivers.modbus.profile import ProfileLibrary
from edge.config.loader import load_config
from edge.model.period import PeriodKind
from edge.simulate import simulate
from edge.store.db import open_sync
from edge.store.outbox import pending
from edge.store.sessions import list_sessions, periods

from .sites import arrival, site_file


async def test_simulated_site_charges_end_to_end(tmp_path: Path) -> None:
    visits = (
        arrival("ev1", "E1", "04A23B1C00", 2, 50, 6000)
        + arrival("ev2", "E2", "62E3086CED", 5, 55, 4000, current_a=10)
        + arrival("ev3", "E1", "DEADBEEF00", 60, 75, 5000)  # unknown card: refused
        + arrival("ev4", "E2", "04A23B1C00", 62, 80, 50000)  # leaves before full
    )
    config = load_config(site_file(tmp_path, visits), ProfileLibrary().ids())
    db_path = tmp_path / "edge.db"
    result = await simulate(config, db_path, speed=500, duration_s=90 * 60)

    db = open_sync(db_path)
    sessions = list_sessions(db)
    taken = {
        t["ev"]: float(str(t["energy_wh"]))
        for t in result.truth
        if t["event"] == "unplug"
    }
    assert set(taken) == {"ev1", "ev2", "ev3", "ev4"}
    assert taken["ev3"] == 0.0  # the refused car got nothing
    assert [(s.evse_uid, s.token_uid) for s in sessions] == [
        ("E1", "04A23B1C00"),
        ("E2", "62E3086CED"),
        ("E2", "04A23B1C00"),
    ]
    by_ev = dict(zip(["ev1", "ev2", "ev4"], sessions, strict=True))
    for ev, session in by_ev.items():
        assert session.status == "COMPLETED"
        assert session.stop_reason == "EV_DISCONNECTED"
        assert taken[ev] > 1000
        assert abs(session.energy_wh - taken[ev]) <= max(1.0, 0.001 * taken[ev]), ev
    assert taken["ev1"] == 6000.0  # got what it wanted, then stayed parked
    cuts = periods(db, by_ev["ev1"].id)
    assert [p.kind for p in cuts] == [PeriodKind.CHARGING, PeriodKind.PARKING]
    assert sum(p.energy_wh for p in cuts) == by_ev["ev1"].energy_wh
    assert cuts[0].start == by_ev["ev1"].start
    assert cuts[-1].end == by_ev["ev1"].end
    assert cuts[0].max_current_a is not None
    assert 15.0 <= cuts[0].max_current_a <= 16.0
    # every finished session is queued for the uplink: its final state, then its CDR
    keys = [i.key for i in pending(db.conn)]
    for s in sessions:
        assert keys.index(f"sessions:{s.id}") < keys.index(f"cdrs:{s.id}")
    assert "evse_status:E1" in keys
    assert "evse_status:E2" in keys
