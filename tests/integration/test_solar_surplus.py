"""Charging from solar surplus end to end: hal_sim's grid with solar production.

A real Site reads the grid meter hal_sim serves over Modbus TCP (an SDM630
whose active power is signed: negative while the site exports) and gives a
``surplus`` car what the export allows, through the board's setpoint; a cloud
pauses it.
"""

from __future__ import annotations

from pathlib import Path

from drivers.modbus.profile import ProfileLibrary
from edge.config.loader import load_config
from edge.config.schema import SiteConfig
from edge.load.allocator import Charge, Why
from hal_sim.schedule import Visit

from .board_rig import running, until
from .load_rig import load_toml
from .sites import site_file

CARD = "04A23B1C00"
SUNNY = (
    "house_base_a = 4.0\nhouse_peak_a = 0.0\nappliance_a = 0.0\nsolar_peak_a = 0.0\n"
)
"""A steady 4 A house; the sun is set by the test (extra_solar_a)."""


def solar_site(tmp_path: Path, speed: float) -> SiteConfig:
    path = site_file(
        tmp_path,
        "",
        evses=1,
        extra=load_toml(1).replace("[load]\n", '[load]\nmode = "surplus"\n', 1),
        device_timeout_s=max(30.0, speed * 1.5),
    )
    text = path.read_text().replace(
        "start = 2026-03-02T07:00:00+01:00", "start = 2026-06-02T12:00:00+02:00"
    )
    path.write_text(text + "\n[sim.grid]\n" + SUNNY)
    return load_config(path, ProfileLibrary().ids())


async def test_a_surplus_car_charges_from_the_export_and_a_cloud_pauses_it(
    tmp_path: Path,
) -> None:
    speed = 10.0
    config = solar_site(tmp_path, speed)
    async with running(config, tmp_path / "edge.db", speed) as rig:
        assert rig.site.load is not None
        grid = rig.world.site.grid
        assert grid is not None
        board = rig.board
        main = grid.circuits["main"]
        # 14 A of sun per phase against a 4 A house: 10 A per phase exported
        grid.extra_solar_a = (14.0, 14.0, 14.0)
        await until(lambda: board.last_setpoint_at is not None)
        rig.world.site.plug_in(
            Visit("ev1", "E1", None, 0, 1e9, 60_000, 90_000, 0.2, 16, 3)
        )
        await rig.world.readers["E1"].present(CARD, 0.3)
        # the first setpoint is the minimum, then the surplus: 10 A less the
        # 100 W margin (9.85 A), 9 A on a board (it takes whole amps)
        await until(lambda: board.offered_a() == 9)
        sp = rig.site.load.allocation.setpoints["E1"]  # type: ignore[union-attr]
        assert sp == Charge(9.0, Why.SURPLUS), sp
        # the site exports while the car draws: no import on any phase
        await until(lambda: all(-1.5 < a < 0 for a in main.net_a), 10)
        assert main.meter is not None
        assert main.meter.power_w is not None
        assert sum(main.meter.power_w) < 0
        # a cloud: 4 A of export is below the 6 A minimum, the car pauses
        grid.extra_solar_a = (8.0, 8.0, 8.0)
        await until(lambda: board.current_limit_a == 0, 10)
        sp = rig.site.load.allocation.setpoints["E1"]  # type: ignore[union-attr]
        assert sp.why in {Why.NO_SURPLUS, Why.RESUME_DELAY}, sp
        assert grid.trips == 0
