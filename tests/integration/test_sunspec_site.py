"""A site whose meters are SunSpec models: found on the device, then read.

The site file names only the SunSpec model (``sunspec_203``, ``sunspec_201``); the
controller walks each device's SunSpec chain at start, rebases the profile on
the model it finds, and meters sessions from it like any other meter.
"""

from __future__ import annotations

from pathlib import Path

from drivers.modbus.profile import ProfileLibrary
from edge.config.loader import load_config
from edge.simulate import simulate
from edge.store.db import open_sync
from edge.store.sessions import list_sessions

from .sites import arrival, site_file


async def test_sessions_are_metered_by_sunspec_meters(tmp_path: Path) -> None:
    visits = arrival("ev1", "E1", "04A23B1C00", 2, 40, 5000) + arrival(
        "ev2", "E2", "62E3086CED", 3, 40, 3000, current_a=10
    )
    path = site_file(tmp_path, visits)
    text = path.read_text()
    text = text.replace(
        'unit = 1, model = "eastron_sdm630"', 'unit = 1, model = "sunspec_203"'
    ).replace('unit = 3, model = "eastron_sdm630"', 'unit = 3, model = "sunspec_201"')
    assert "eastron" not in text
    path.write_text(text)
    config = load_config(path, ProfileLibrary().ids())
    db_path = tmp_path / "edge.db"
    result = await simulate(config, db_path, speed=500, duration_s=45 * 60)

    db = open_sync(db_path)
    sessions = {s.evse_uid: s for s in list_sessions(db)}
    taken = {
        str(t["ev"]): float(str(t["energy_wh"]))
        for t in result.truth
        if t["event"] == "unplug"
    }
    assert taken == {"ev1": 5000.0, "ev2": 3000.0}
    for evse, ev in (("E1", "ev1"), ("E2", "ev2")):
        assert sessions[evse].status == "COMPLETED"
        # SunSpec energy is whole Wh (scale factor 0): within one Wh of the physics
        assert abs(sessions[evse].energy_wh - taken[ev]) <= 1.0, evse
