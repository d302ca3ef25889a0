"""A simulated meter answers its vendor map consistently, fault or not."""

from __future__ import annotations

import math

import pytest

from drivers.modbus.decode import decode_image
from drivers.modbus.profile import DeviceKind, Function, ProfileLibrary
from edge.model.measurement import Measurement as M
from hal_sim.devices.meter import SimMeter

LIB = ProfileLibrary()
METERS = [p for p in LIB.ids() if LIB.get(p).kind is DeviceKind.METER]


def served(meter: SimMeter) -> dict[M, float | str | None]:
    """Decode every row from what the simulator answers, read by read."""
    image = {}
    for row in meter.profile.registers:
        words = meter.read(int(row.function), row.address, row.count)
        assert isinstance(words, list), (row.measurement, words)
        for i, w in enumerate(words):
            image[(Function(row.function), row.address + i)] = w
        if row.sf_address is not None:
            [sf] = meter.read(int(row.function), row.sf_address, 1)
            image[(Function(row.function), row.sf_address)] = sf
    return {
        spec.measurement: v for spec, v in decode_image(meter.profile.registers, image)
    }


@pytest.mark.parametrize(
    "profile_id", ["eastron_sdm630", "eastron_sdm120", "eastron_sdm72d_m"]
)
def test_an_eastron_total_at_0x0156_is_import_plus_export(profile_id):
    profile = LIB.get(profile_id)
    assert any(
        r.measurement is M.ENERGY_TOTAL and r.address == 0x0156
        for r in profile.registers
    )
    meter = SimMeter(profile, 1, 1_234_500.0)
    meter.energy_export_wh = 4_200.0
    meter.add_energy(800.0, (10.0, 10.0, 10.0))
    got = served(meter)
    assert got[M.ENERGY_IMPORT] == pytest.approx(1_235_300.0, abs=0.1)
    assert got[M.ENERGY_TOTAL] == pytest.approx(1_235_300.0 + 4_200.0, abs=0.1)


WITH_TOTAL = [
    p
    for p in METERS
    if any(r.measurement is M.ENERGY_TOTAL for r in LIB.get(p).registers)
]


@pytest.mark.parametrize("profile_id", WITH_TOTAL)
def test_every_meter_with_a_total_serves_one_that_adds_up(profile_id):
    meter = SimMeter(LIB.get(profile_id), 1, 50_000.0)
    meter.energy_export_wh = 1_000.0
    got = served(meter)
    assert got[M.ENERGY_TOTAL] == pytest.approx(51_000.0, rel=1e-6)
    assert got[M.ENERGY_IMPORT] == pytest.approx(50_000.0, rel=1e-6)


def test_energy_faults_touch_the_import_register_only_and_clear():
    meter = SimMeter(LIB.get("eastron_sdm630"), 1, 10_000.0)
    meter.add_energy(0.0, (16.0, 16.0, 16.0))
    f = meter.energy_faults
    f.jump_wh = 1e9
    assert served(meter)[M.ENERGY_IMPORT] == pytest.approx(1e9 + 10_000.0)
    assert served(meter)[M.ENERGY_IMPORT] == pytest.approx(10_000.0)  # once only
    f.not_finite = math.inf
    assert served(meter)[M.ENERGY_IMPORT] is None  # the driver: not available
    f.clear()
    f.stuck = True
    assert served(meter)[M.ENERGY_IMPORT] == pytest.approx(10_000.0, abs=0.01)
    meter.add_energy(100.0, (16.0, 16.0, 16.0))
    got = served(meter)
    assert got[M.ENERGY_IMPORT] == pytest.approx(10_000.0, abs=0.01)  # still
    assert got[M.POWER] > 10_000  # the rest of the meter is live
    f.clear()
    f.backwards_wh = 5.0
    first = served(meter)[M.ENERGY_IMPORT]
    second = served(meter)[M.ENERGY_IMPORT]
    assert second == pytest.approx(first - 5.0, abs=0.01)
    f.clear()
    assert served(meter)[M.ENERGY_IMPORT] == pytest.approx(10_100.0, abs=0.01)
    meter.replace_meter(20.0)
    assert served(meter)[M.ENERGY_IMPORT] == pytest.approx(20.0)


def test_an_integer_register_says_not_available_rather_than_nan():
    meter = SimMeter(LIB.get("abb_b23_b24"), 1, 10_000.0)
    meter.energy_faults.not_finite = math.nan
    assert served(meter)[M.ENERGY_IMPORT] is None
