"""A simulated SunSpec meter serves the whole chain, built from its profile."""

from __future__ import annotations

import pytest

from drivers.errors import ProfileError
from drivers.modbus.codec import DataType, decode
from drivers.modbus.decode import decode_image
from drivers.modbus.identify import identify
from drivers.modbus.profile import Function, ProfileLibrary
from drivers.modbus.sunspec import (
    SUNS,
    SunSpecModel,
    discover,
    find_base,
    locate,
    read_common,
)
from edge.model.measurement import Measurement as M
from hal_sim.devices.base import ILLEGAL_ADDRESS, ILLEGAL_FUNCTION, ILLEGAL_VALUE
from hal_sim.devices.meter import SimMeter
from hal_sim.devices.sunspec import CommonInfo, SunSpecMap, exponent

LIB = ProfileLibrary()
ALL = [LIB.get(i) for i in LIB.ids()]
METERS = ["sunspec_201", "sunspec_202", "sunspec_203", "sunspec_204"]


def reader(device):
    async def read(function, address, count):
        words = device.read(int(function), address, count)
        return None if isinstance(words, int) else words

    return read


def charging(profile_id, unit=4, base=40000):
    meter = SimMeter(LIB.get(profile_id), unit, 1_000_000.0, sunspec_base=base)
    meter.add_energy(1_234.0, (16.0, 15.5, 0.0))
    return meter


@pytest.mark.parametrize("base", [40000, 0, 50000])
@pytest.mark.parametrize("profile_id", METERS)
async def test_the_chain_announces_common_then_the_meter_model(profile_id, base):
    meter = charging(profile_id, base=base)
    read = reader(meter)
    assert await find_base(read) == base
    model_id = int(profile_id.rsplit("_", 1)[1])
    assert await discover(read) == [
        SunSpecModel(1, base + 2, 66),
        SunSpecModel(model_id, base + 70, 105),
    ]
    assert meter.read(3, base + 70 + 2 + 105, 2) == [0xFFFF, 0]  # end marker


async def test_the_common_model_names_the_device_and_its_address():
    meter = charging("sunspec_203", unit=17)
    read = reader(meter)
    models = await discover(read)
    common = await read_common(read, models[0])
    assert common is not None
    assert (common.manufacturer, common.model) == ("hal_sim", "sunspec_203")
    assert common.serial_number == "21000017"
    assert meter.read(3, 40000 + 4 + 64, 2) == [17, 0x8000]  # DA, Pad


@pytest.mark.parametrize("profile_id", METERS)
async def test_scan_logic_identifies_the_right_model_and_reads_its_values(profile_id):
    meter = charging(profile_id)
    matches = await identify(reader(meter), ALL)
    assert matches[0].profile.id == profile_id
    profile = matches[0].profile
    assert profile.base == 40072
    image = {
        (Function.HOLDING, a): w for a, w in meter.live_image(Function.HOLDING).items()
    }
    values = dict(decode_image(profile.registers, image))
    got = {spec.measurement: v for spec, v in values.items()}
    assert got[M.CURRENT_L1] == pytest.approx(16.0)
    assert got[M.VOLTAGE_L1] == pytest.approx(230.0)
    assert got[M.POWER_L1] == pytest.approx(16.0 * 230.0)
    assert got[M.POWER] == pytest.approx(31.5 * 230.0)
    assert got[M.FREQUENCY] == pytest.approx(50.0)
    assert got[M.POWER_FACTOR] == pytest.approx(1.0)
    assert got[M.ENERGY_IMPORT] == pytest.approx(1_001_234.0)
    assert got[M.ENERGY_EXPORT] == 0.0
    if M.CURRENT_L2 in got:
        assert got[M.CURRENT_L2] == pytest.approx(15.5)
    # the phases share the energy by their currents (Wh resolution at TotWh_SF 0)
    share = 1_000_000.0 / 3
    assert got[M.ENERGY_IMPORT_L1] == pytest.approx(share + 1234 * 16 / 31.5, abs=1)
    if M.ENERGY_IMPORT_L3 in got:
        assert got[M.ENERGY_IMPORT_L3] == pytest.approx(share, abs=1)


def test_scale_factors_are_fixed_per_group_and_published_as_sunssf():
    meter = charging("sunspec_203")
    body = 40072
    words = meter.read(3, body, 53)
    assert isinstance(words, list)

    def sf(offset):
        return decode([words[offset]], DataType.S16)

    # A_SF, V_SF, Hz_SF, W_SF, VAR_SF, PF_SF, TotWh_SF
    assert [sf(o) for o in (4, 13, 15, 20, 30, 35, 52)] == [-2, -1, -2, 0, 0, -2, 0]
    assert words[1] == 1600  # AphA: 16.00 A at A_SF -2
    assert words[6] == 2300  # PhVphA: 230.0 V at V_SF -1
    assert words[44:46] == [1_001_234 >> 16, 1_001_234 & 0xFFFF]  # TotWhImp, acc32
    meter.add_energy(10.0, (32.0, 32.0, 32.0))
    again = meter.read(3, body, 53)
    assert isinstance(again, list)
    assert again[4] == words[4]  # the exponent does not follow the value


def test_points_the_profile_does_not_name_read_not_implemented():
    meter = charging("sunspec_201")
    body = 40072
    words = meter.read(3, body, 105)
    assert isinstance(words, list)
    assert words[0] == 0x8000  # A (total), not in the profile
    assert words[2:4] == [0x8000, 0x8000]  # AphB, AphC: single phase
    assert words[9] == 0x8000  # PPV
    assert words[25] == 0x8000  # VA_SF: apparent power not implemented
    assert words[38:44] == [0] * 6  # TotWhExpPhA..C: acc32 not implemented
    assert words[69] == 0x8000  # TotVAh_SF


async def test_the_203_profile_reads_missing_phases_of_a_201_device_as_no_value():
    meter = charging("sunspec_201")
    p203 = LIB.get("sunspec_203").rebased(40072)
    image = {
        (Function.HOLDING, a): w for a, w in meter.live_image(Function.HOLDING).items()
    }
    got = {s.measurement: v for s, v in decode_image(p203.registers, image)}
    assert got[M.CURRENT_L1] == pytest.approx(16.0)
    assert got[M.CURRENT_L2] is None
    assert got[M.VOLTAGE_L3] is None


def test_reads_outside_the_chain_are_refused():
    meter = charging("sunspec_203")
    assert meter.read(3, 0, 1) == ILLEGAL_ADDRESS  # what `edge scan` probes
    assert meter.read(3, 39999, 2) == ILLEGAL_ADDRESS
    assert meter.read(3, 40178, 2) == ILLEGAL_ADDRESS  # past the end marker
    assert meter.read(4, 40000, 2) == ILLEGAL_FUNCTION  # holding registers only
    assert meter.read(3, 40000, 2) == [*SUNS]
    assert meter.read(3, 40000, 126) == ILLEGAL_VALUE  # more than one read


async def test_a_zeroed_device_loses_its_chain_and_a_frozen_one_keeps_it():
    meter = charging("sunspec_203")
    meter.freeze()
    meter.add_energy(500.0, (1.0, 1.0, 1.0))
    matches = await identify(reader(meter), ALL)
    assert [m.profile.id for m in matches] == ["sunspec_203"]
    words = meter.read(3, 40072 + 44, 2)
    assert words == [1_001_234 >> 16, 1_001_234 & 0xFFFF]
    meter.faults.frozen = False
    meter.faults.zeroed = True
    assert await discover(reader(meter)) == []


async def test_a_model_too_short_for_the_profile_is_not_that_model():
    meter = charging("sunspec_203")
    read = reader(meter)

    async def short_model(function, address, count):
        words = await read(function, address, count)
        if words is not None and address == 40070:
            words = [203, 40, *words[2:]]
        return words

    assert await identify(short_model, ALL) == []
    with pytest.raises(ProfileError):
        await locate(short_model, LIB.get("sunspec_203"))
    located = await locate(read, LIB.get("sunspec_203"))
    assert located.base == 40072
    assert await locate(read, LIB.get("eastron_sdm630")) is LIB.get("eastron_sdm630")


def test_exponents_fit_the_rated_range_of_each_type():
    p = LIB.get("sunspec_203")
    current = p.register(M.CURRENT_L1)
    power = p.register(M.POWER)
    energy = p.register(M.ENERGY_IMPORT)
    assert current is not None
    assert power is not None
    assert energy is not None
    assert exponent([current]) == -2
    assert exponent([power]) == 0
    assert exponent([energy]) == 0


def test_a_value_beyond_its_register_reads_as_no_value():
    meter = charging("sunspec_203")
    meter.currents = (400.0, 0.0, 0.0)  # 400 A does not fit int16 at A_SF -2
    words = meter.read(3, 40072 + 1, 1)
    assert words == [0x8000]


def test_only_sunspec_model_profiles_get_a_map():
    info = CommonInfo("x", "y", "z")
    with pytest.raises(ProfileError):
        SunSpecMap(LIB.get("eastron_sdm630"), 1, info)
    with pytest.raises(ProfileError):
        SunSpecMap(LIB.get("sunspec_203").rebased(40072), 1, info)
    plain = SimMeter(LIB.get("eastron_sdm630"), 1, 0.0)
    assert plain.sunspec is None
