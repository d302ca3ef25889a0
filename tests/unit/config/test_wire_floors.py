"""A fast clock gives devices at least DEVICE_TIMEOUT_WALL_S of wall time."""

from __future__ import annotations

from pathlib import Path

from drivers.modbus.profile import ProfileLibrary
from edge.config.loader import load_config
from edge.config.wire_floors import DEVICE_TIMEOUT_WALL_S, wire_time_floors
from edge.model.clock import ScaledClock, SystemClock

DEMO = Path(__file__).resolve().parents[3] / "config" / "demo.toml"


def test_a_fast_clock_raises_the_device_timeout_to_the_wall_floor() -> None:
    config = load_config(DEMO, ProfileLibrary().ids())
    own = config.sessions.device_timeout_s
    assert own < 300 * DEVICE_TIMEOUT_WALL_S
    raised = wire_time_floors(config, ScaledClock(300))
    assert raised.sessions.device_timeout_s == 300 * DEVICE_TIMEOUT_WALL_S
    assert config.sessions.device_timeout_s == own  # the loaded config is kept
    # at 1x (a real site) and a slow simulated clock the site's own value stands
    assert wire_time_floors(config, SystemClock()) is config
    assert wire_time_floors(config, ScaledClock(2)) is config
