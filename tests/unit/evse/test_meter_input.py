"""The EVSE's meter input: driver readings, judged, as state-machine events."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from drivers.meter import meter_reading
from edge.cli.sim_live import meter_lines
from edge.evse.events import MeterRead, MeterReset
from edge.evse.machine_state import EvseSettings
from edge.evse.meter_input import MeterInput
from edge.model.events import DeviceReading, DeviceSilent
from edge.model.measurement import Measurement as M

UTC0 = datetime(2026, 3, 2, tzinfo=UTC)


def reading(t, energy=None, power=None, read_at=None, unavailable=()):
    values = {}
    if energy is not None:
        values[M.ENERGY_IMPORT] = energy
    if power is not None:
        values[M.POWER] = power
    return meter_reading(
        DeviceReading("m", values, t, UTC0, dict(read_at or {}), frozenset(unavailable))
    )


def test_believed_readings_carry_their_read_time_and_power():
    mi = MeterInput(EvseSettings("E1"))
    assert mi.feed(reading(1.0, 1000.0, 50.0)) is None  # the baseline is pending
    event = mi.feed(reading(2.0, 1000.4, 60.0))
    assert event == MeterRead(1000, 60.0, None, 2.0)
    assert mi.feed(DeviceSilent("m", "no answer", 3.0)) is None


def test_an_energy_value_not_read_again_is_not_a_new_reading():
    mi = MeterInput(EvseSettings("E1"))
    mi.feed(reading(1.0, 1000.0))
    mi.feed(reading(2.0, 1001.0))
    cached = reading(3.0, 1001.0, 7000.0, {M.ENERGY_IMPORT: 2.0})
    assert mi.feed(cached) is None
    assert mi.rejections == {}


def test_power_read_in_another_poll_is_not_the_judges_evidence():
    mi = MeterInput(EvseSettings("E1"))
    mi.feed(reading(0.0, 1000.0))
    mi.feed(reading(1.0, 1000.0))
    # a still register with a stale 11 kW: not "stuck", the power is old
    for t in range(2, 60):
        stale = reading(float(t), 1000.0, 11_000.0, {M.POWER: 1.0})
        assert isinstance(mi.feed(stale), MeterRead)
    assert mi.rejections == {}


def test_an_unavailable_register_is_counted_and_logged_once(caplog):
    mi = MeterInput(EvseSettings("E1"))
    mi.feed(reading(0.0, 1000.0))
    mi.feed(reading(1.0, 1000.0))
    with caplog.at_level(logging.INFO, "edge.evse.meter_input"):
        for t in range(2, 12):
            gone = reading(float(t), None, 0.0, unavailable=[M.ENERGY_IMPORT])
            assert mi.feed(gone) is None
        assert isinstance(mi.feed(reading(12.0, 1000.0)), MeterRead)
    assert mi.rejections == {"NOT_FINITE": 10}
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "NOT_FINITE" in warnings[0].getMessage()
    assert any("plausibly again" in r.getMessage() for r in caplog.records)


def test_a_new_meter_becomes_a_reset_event_and_resumed_sessions_seed_the_judge():
    mi = MeterInput(EvseSettings("E1"))
    mi.seed(50_000)
    events = [mi.feed(reading(float(t), 10.0 + t)) for t in range(1, 4)]
    assert events[:2] == [None, None]
    assert events[2] == MeterReset(50_000, 13, 3.0, 0.0, None)
    assert mi.rejections == {"BACKWARDS": 2}
    assert mi.state.resets == 1


def test_the_sim_summary_names_meters_with_readings_not_believed():
    lines = meter_lines(
        {
            "E1": {"rejected": {"TOO_FAST": 1, "NOT_FINITE": 4}, "resets": 0},
            "E2": {"rejected": {}, "resets": 0},
            "E3": {"rejected": {}, "resets": 1},
        }
    )
    assert lines == [
        "meter E1: readings not believed: 4 NOT_FINITE, 1 TOO_FAST; meter resets: 0",
        "meter E3: readings not believed: none; meter resets: 1",
    ]
