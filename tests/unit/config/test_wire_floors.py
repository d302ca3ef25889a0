"""A fast clock gives devices at least DEVICE_TIMEOUT_WALL_S of wall time."""

from __future__ import annotations

from pathlib import Path

from drivers.modbus.profile import ProfileLibrary
from edge.config.loader import load_config
from edge.config.wire_floors import (
    DEVICE_TIMEOUT_WALL_S,
    RELAY_SETTLE_WALL_S,
    wire_time_floors,
)
from edge.model.clock import ScaledClock, SystemClock

DEMO = Path(__file__).resolve().parents[3] / "config" / "demo.toml"


def test_a_fast_clock_raises_the_device_timeout_to_the_wall_floor() -> None:
    config = load_config(DEMO, ProfileLibrary().ids())
    own = config.sessions.device_timeout_s
    assert own < 300 * DEVICE_TIMEOUT_WALL_S
    raised = wire_time_floors(config, ScaledClock(300))
    assert raised.sessions.device_timeout_s == 300 * DEVICE_TIMEOUT_WALL_S
    assert config.sessions.relay_settle_s < 300 * RELAY_SETTLE_WALL_S
    assert raised.sessions.relay_settle_s == 300 * RELAY_SETTLE_WALL_S
    assert config.sessions.device_timeout_s == own  # the loaded config is kept
    # at 1x (a real site) and a slow simulated clock the site's own value stands
    assert wire_time_floors(config, SystemClock()) is config
    assert wire_time_floors(config, ScaledClock(2)) is config


def test_the_site_file_sets_the_relay_settle_time_the_machine_uses(
    tmp_path: Path,
) -> None:
    site = tmp_path / "site.toml"
    text = DEMO.read_text()
    assert "[sessions]" in text
    assert "relay_settle_s" not in text
    site.write_text(text.replace("[sessions]", "[sessions]\nrelay_settle_s = 4.5", 1))
    config = load_config(site, ProfileLibrary().ids())
    assert config.sessions.relay_settle_s == 4.5
    # a fast clock's floor only raises it
    assert wire_time_floors(config, ScaledClock(3)).sessions.relay_settle_s == 4.5
