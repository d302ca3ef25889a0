"""A resumed session's stored reading is rounded to the Wh: the meter may be lower."""

from __future__ import annotations

from datetime import UTC, datetime

from drivers.meter import meter_reading
from edge.evse.events import MeterRead
from edge.evse.machine_state import EvseSettings
from edge.evse.meter_input import MeterInput
from edge.model.events import DeviceReading, MeterReading
from edge.model.measurement import Measurement

T = datetime(2026, 3, 2, 7, 0, tzinfo=UTC)


def reading(energy_wh: float, mono: float) -> MeterReading:
    raw = DeviceReading("E1/meter", {Measurement.ENERGY_IMPORT: energy_wh}, mono, T)
    return meter_reading(raw)


def test_the_meter_half_a_wh_below_the_stored_reading_is_believed() -> None:
    meter = MeterInput(EvseSettings(evse_uid="E1"))
    meter.seed(1_265_779)  # stored as round(1_265_778.6)
    event = meter.feed(reading(1_265_778.6, 1.0))
    assert isinstance(event, MeterRead)
    assert event.energy_wh == 1_265_779
    assert meter.rejections == {}


def test_a_meter_a_whole_wh_below_the_stored_reading_went_back() -> None:
    meter = MeterInput(EvseSettings(evse_uid="E1"))
    meter.seed(1_265_779)
    assert meter.feed(reading(1_265_777.9, 1.0)) is None
    assert meter.rejections == {"BACKWARDS": 1}
