"""Sites with load management: N EVSEs behind one grid connection and its meter.

The grid meter (an Eastron SDM630 at unit 100 of the gateway) is served by
hal_sim like every other meter, reading the seeded house load plus every
simulated EV on the grid phases it draws on; the main breaker trips when it is
overloaded long enough (hal_sim/grid.py).
"""

from __future__ import annotations

from pathlib import Path

from drivers.modbus.profile import ProfileLibrary
from edge.config.loader import load_config
from edge.config.schema import SiteConfig

from .sites import site_file

GRID_UNIT = 100
ROTATIONS = ("L1L2L3", "L2L3L1", "L3L1L2")


def load_toml(
    evses: int,
    *,
    limit_a: float = 40.0,
    failsafe_a: float = 0.0,
    meter_timeout_s: float = 5.0,
    resume_delay_s: float = 600.0,
) -> str:
    """A ``[load]`` tree: one metered grid connection, every EVSE on it."""
    lines = [
        f"[load]\nmargin_a = 1.0\nfailsafe_current_a = {failsafe_a}\n"
        f"meter_timeout_s = {meter_timeout_s}\nresume_delay_s = {resume_delay_s}\n",
        f'[[load.circuit]]\nid = "main"\nlimit_a = {limit_a}\n'
        f'meter = {{ bus = "gw", unit = {GRID_UNIT}, model = "eastron_sdm630" }}\n',
    ]
    for n in range(1, evses + 1):
        lines.append(
            f'[[load.evse]]\nuid = "E{n}"\ncircuit = "main"\n'
            f'rotation = "{ROTATIONS[(n - 1) % 3]}"\n'
        )
    return "\n".join(lines)


def load_site(
    tmp_path: Path,
    visits: str,
    *,
    evses: int,
    speed: float,
    grid: str = "",
    board: str = "evse_wb",
    max_current_a: int = 16,
    start: str | None = None,
    sim: str = "",
    **load: float,
) -> SiteConfig:
    """``evses`` EVSEs and their ``[load]``; ``grid``: keys of ``[sim.grid]``,
    ``sim`` of ``[sim]``."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = site_file(
        tmp_path,
        visits,
        evses=evses,
        extra=load_toml(evses, **load),
        device_timeout_s=max(30.0, speed * 1.5),
        sim=sim,
    )
    text = path.read_text()
    text = text.replace('model = "evse_wb"', f'model = "{board}"')
    text = text.replace("max_current_a = 16\n", f"max_current_a = {max_current_a}\n")
    if start is not None:
        text = text.replace("start = 2026-03-02T07:00:00+01:00", f"start = {start}")
    if grid:
        text += "\n[sim.grid]\n" + grid
    path.write_text(text)
    return load_config(path, ProfileLibrary().ids())
