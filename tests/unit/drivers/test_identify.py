"""SunSpec discovery and profile identification against fake devices."""

from __future__ import annotations

from drivers.modbus.codec import DataType, encode
from drivers.modbus.identify import identify
from drivers.modbus.profile import Function, ProfileLibrary
from drivers.modbus.sunspec import SUNS, SunSpecModel, discover, read_common

LIBRARY = ProfileLibrary()
ALL = [LIBRARY.get(i) for i in LIBRARY.ids()]


class FakeDevice:
    """Answers reads from a register map; a gap in the request -> None."""

    def __init__(self, registers=None):
        self.registers = dict(registers or {})
        self.reads = []

    def put(self, function, address, words):
        for i, w in enumerate(words):
            self.registers[(function, address + i)] = w

    async def __call__(self, function, address, count):
        self.reads.append((function, address, count))
        keys = [(Function(function), address + i) for i in range(count)]
        if not all(k in self.registers for k in keys):
            return None
        return [self.registers[k] for k in keys]


def sunspec_device(base, models):
    dev = FakeDevice()
    dev.put(Function.HOLDING, base, list(SUNS))
    address = base + 2
    for model_id, body in models:
        dev.put(Function.HOLDING, address, [model_id, len(body), *body])
        address += 2 + len(body)
    dev.put(Function.HOLDING, address, [0xFFFF, 0])
    return dev


def common_body():
    return (
        encode("Fronius", DataType.STR, length=16)
        + encode("Smart Meter 63A", DataType.STR, length=16)
        + [0] * 16
        + encode("12345678", DataType.STR, length=16)
        + [1, 0]
    )


async def test_discovery_walks_the_chain_from_the_first_base_that_says_suns():
    dev = sunspec_device(0, [(1, common_body()), (203, [0] * 105)])
    models = await discover(dev)
    assert models == [SunSpecModel(1, 2, 66), SunSpecModel(203, 70, 105)]
    assert models[1].body == 72
    assert models[1].is_meter
    assert (Function.HOLDING, 40000, 2) in dev.reads  # tried 40000 first
    common = await read_common(dev, models[0])
    assert common is not None
    assert (common.manufacturer, common.model, common.serial_number) == (
        "Fronius",
        "Smart Meter 63A",
        "12345678",
    )
    assert await read_common(dev, models[1]) is None


async def test_no_header_means_no_models():
    assert await discover(FakeDevice()) == []


async def test_a_broken_chain_keeps_the_models_found():
    dev = sunspec_device(50000, [(1, [0] * 66), (203, [0] * 105)])
    del dev.registers[(Function.HOLDING, 50000 + 2 + 68)]  # 203's ID unreadable
    assert [m.id for m in await discover(dev)] == [1]


async def test_identify_rebases_the_sunspec_meter_profile():
    dev = sunspec_device(40000, [(1, common_body()), (203, [0] * 105)])
    matches = await identify(dev, ALL)
    assert [m.profile.id for m in matches] == ["sunspec_203"]
    spec = matches[0].profile.registers[0]
    assert spec.address == 40000 + 2 + 68 + 2 + 1  # model body + offset 1
    assert spec.sf_address == 40000 + 2 + 68 + 2 + 4


async def test_identify_tells_eastron_models_apart_by_meter_code():
    dev = FakeDevice()
    dev.put(Function.HOLDING, 0xFC00, [0x0001, 0xE240])
    dev.put(Function.HOLDING, 0xFC02, [0x0089])
    matches = await identify(dev, ALL)
    assert [m.profile.id for m in matches] == ["eastron_sdm72d_m"]
    dev.put(Function.HOLDING, 0xFC02, [0x0070])
    assert [m.profile.id for m in await identify(dev, ALL)] == ["eastron_sdm630"]


async def test_identify_reads_each_register_once():
    dev = FakeDevice()
    dev.put(Function.HOLDING, 0xFC00, [0, 1])
    dev.put(Function.HOLDING, 0xFC02, [0x20])
    await identify(dev, ALL)
    assert dev.reads.count((Function.HOLDING, 0xFC02, 1)) == 1


async def test_identify_abb_by_type_designation_and_iskra_by_model_string():
    abb = FakeDevice()
    abb.put(Function.HOLDING, 0x8960, encode("B23 ", DataType.STR, length=2))
    assert [m.profile.id for m in await identify(abb, ALL)] == ["abb_b23_b24"]
    b21 = FakeDevice()
    b21.put(Function.HOLDING, 0x8960, encode("B21 ", DataType.STR, length=2))
    assert await identify(b21, ALL) == []
    iskra = FakeDevice()
    iskra.put(Function.INPUT, 1, encode("WM3M4C", DataType.STR, length=4))
    assert [m.profile.id for m in await identify(iskra, ALL)] == ["iskra_wm3m4"]


async def test_value_checks_rank_above_mere_answers():
    dev = FakeDevice()
    dev.put(Function.INPUT, 11, [1650])  # EM24 E1 model code
    matches = await identify(dev, ALL)
    assert [m.profile.id for m in matches] == [
        "carlo_gavazzi_em340",
        "carlo_gavazzi_em24",
    ]
    assert matches[0].score > matches[1].score


async def test_phoenix_cp_letter_identifies_the_board():
    dev = FakeDevice()
    dev.put(Function.INPUT, 100, [ord("B")])
    assert [m.profile.id for m in await identify(dev, ALL)] == ["phoenix_ev_cc"]


async def test_alfen_identity_needs_the_station_unit():
    station = FakeDevice()
    station.put(Function.HOLDING, 117, encode("Alfen NV", DataType.STR, length=5))
    socket = FakeDevice()
    alfen = [LIBRARY.get("alfen_eve")]
    assert await identify(socket, alfen) == []
    matches = await identify(socket, alfen, read_unit=lambda unit: station)
    assert [m.profile.id for m in matches] == ["alfen_eve"]
    assert station.reads == [(Function.HOLDING, 117, 5)]


async def test_silent_device_matches_nothing():
    assert await identify(FakeDevice(), ALL) == []
