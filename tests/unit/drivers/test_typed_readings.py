"""Each driver's typed reading, from one poll's raw values."""

from __future__ import annotations

from datetime import UTC, datetime

from drivers.evse_board import board_reading
from drivers.meter import meter_reading
from edge.model.events import DeviceReading, Timed
from edge.model.measurement import Measurement as M
from edge.model.pilot import CpState

T = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def test_a_meter_reading_keeps_each_value_with_the_time_it_was_read() -> None:
    values = {M.ENERGY_IMPORT: 1500.0, M.POWER: 7200.0}
    values |= {M.CURRENT_L1: 10.0, M.CURRENT_L3: 12.5}
    raw = DeviceReading("E1/meter", values, 5.0, T, {M.POWER: 4.0})
    r = meter_reading(raw)
    assert r.energy_import_wh == Timed(1500.0, 5.0)
    assert r.power_w == Timed(7200.0, 4.0)  # a slow row: its own read time
    assert r.currents_a == (10.0, None, 12.5)
    assert r.max_current_a == 12.5
    assert not r.energy_unavailable


def test_an_unavailable_energy_register_is_said_so_not_read_as_a_value() -> None:
    raw = DeviceReading("m", {}, 5.0, T, unavailable=frozenset({M.ENERGY_IMPORT}))
    r = meter_reading(raw)
    assert r.energy_import_wh is None
    assert r.energy_unavailable
    assert r.max_current_a is None


def test_a_board_reading_carries_cp_relay_and_enable() -> None:
    raw = DeviceReading(
        "E1/board",
        {M.CP_STATE: "C", M.RELAY_CLOSED: 1.0, M.CHARGING_ENABLED: 0.0},
        2.0,
        T,
    )
    r = board_reading(raw)
    assert r is not None
    assert (r.cp, r.relay_closed, r.charging_enabled) == (CpState.C, True, False)


def test_a_board_poll_without_a_known_cp_state_is_no_reading() -> None:
    assert board_reading(DeviceReading("b", {M.RELAY_CLOSED: 1.0}, 2.0, T)) is None
    assert board_reading(DeviceReading("b", {M.CP_STATE: "X"}, 2.0, T)) is None
    plain = board_reading(DeviceReading("b", {M.CP_STATE: "A"}, 2.0, T))
    assert plain is not None
    assert (plain.relay_closed, plain.charging_enabled) == (None, None)
