"""Simulated devices: identity, segments, faults, relay mirrors, CP fault states."""

from __future__ import annotations

import pytest

from drivers.modbus.codec import DataType, decode
from drivers.modbus.identify import identify
from drivers.modbus.profile import ProfileLibrary
from edge.model.measurement import Measurement as M
from hal_sim.devices.base import ILLEGAL_ADDRESS, ILLEGAL_FUNCTION, ILLEGAL_VALUE
from hal_sim.devices.evse_board import SimEvseBoard
from hal_sim.devices.meter import SimMeter
from hal_sim.devices.relay import SimRelay
from hal_sim.ev import SimEv

LIB = ProfileLibrary()
ALL = [LIB.get(i) for i in LIB.ids()]


def reader(device):
    async def read(function, address, count):
        words = device.read(int(function), address, count)
        return None if isinstance(words, int) else words

    return read


@pytest.mark.parametrize(
    "profile_id",
    [
        "eastron_sdm630",
        "evse_wb",
        "abb_b23_b24",
        "carlo_gavazzi_em340",
        "waveshare_modbus_rtu_io_8ch",
    ],
)
async def test_a_simulated_device_is_identified_as_its_own_model(profile_id):
    profile = LIB.get(profile_id)
    device = (
        SimRelay(profile, 4)
        if profile.kind == "relay"
        else SimMeter(profile, 4, 1000)
        if profile.kind == "meter"
        else SimEvseBoard(profile, 4, lambda: 0.0)
    )
    matches = await identify(reader(device), ALL)
    assert matches
    assert matches[0].profile.id == profile_id


def test_reads_stay_inside_the_served_segments():
    meter = SimMeter(LIB.get("eastron_sdm630"), 1, 1000)
    assert meter.read(4, 0, 80) != ILLEGAL_ADDRESS  # gaps inside the span read 0
    assert meter.read(4, 340, 24) != ILLEGAL_ADDRESS  # up to L3 total, 0x016A
    assert meter.read(4, 364, 2) == ILLEGAL_ADDRESS  # 0x016C: not in the profile
    assert meter.read(4, 0, 81) == ILLEGAL_VALUE  # over the profile's cap
    assert meter.read(3, 64512, 2) != ILLEGAL_ADDRESS  # identity
    assert meter.read(3, 64512, 3) == ILLEGAL_ADDRESS
    assert meter.read(1, 0, 1) == ILLEGAL_FUNCTION


def test_the_live_firmware_value_wins_over_the_identity_placeholder():
    board = SimEvseBoard(LIB.get("evse_wb"), 2, lambda: 0.0)
    assert board.read(3, 1005, 1) == [17]


def test_frozen_and_zeroed_registers():
    meter = SimMeter(LIB.get("eastron_sdm630"), 1, 1000)
    meter.faults.frozen = True
    before = meter.read(4, 72, 2)
    meter.add_energy(500, (10, 10, 10))
    assert meter.read(4, 72, 2) == before
    meter.faults.clear()
    assert decode(meter.read(4, 72, 2), DataType.F32) == pytest.approx(1.5)  # kWh
    meter.faults.zeroed = True
    assert meter.read(4, 72, 2) == [0, 0]


def test_injected_exception_code():
    meter = SimMeter(LIB.get("eastron_sdm630"), 1, 1000)
    meter.faults.exception_code = 4
    assert meter.read(4, 72, 2) == 4


def test_relay_mirror_contacts_follow_the_coils_unless_welded():
    relay = SimRelay(LIB.get("waveshare_modbus_rtu_io_8ch"), 1)
    assert relay.read(2, 0, 8) == [1] * 8  # all open: every mirror closed
    assert relay.write(5, 2, (1,)) is None
    assert relay.read(1, 0, 8) == [0, 0, 1, 0, 0, 0, 0, 0]
    assert relay.read(2, 0, 8) == [1, 1, 0, 1, 1, 1, 1, 1]
    relay.welded.add(3)  # channel 3 is coil address 2
    assert relay.write(5, 2, (0,)) is None
    assert relay.read(1, 2, 1) == [0]
    assert relay.read(2, 2, 1) == [0]  # still closed mains: mirror open
    assert relay.write(15, 0, (1, 1)) is None
    assert relay.read(1, 0, 2) == [1, 1]
    assert relay.write(5, 9, (1,)) == ILLEGAL_ADDRESS


def test_cp_states_and_injected_faults_on_the_board():
    board = SimEvseBoard(LIB.get("evse_wb"), 2, lambda: 0.0)
    assert board.cp_state == "A"
    board.ev = SimEv("ev", 60000, 0.3, 10000, 16, 3)
    assert board.write(16, 1000, (16,)) is None
    board.update()
    assert (board.cp_state, board.relay_closed) == ("C", True)
    board.inject_cp_fault("F")
    assert board.relay_closed is False
    # EVSE-WB reports E and F alike as 5 ("failure")
    assert board.read(3, 1002, 1) == [5]
    assert board.values()[M.BOARD_FAULT] == 1.0
    board.inject_cp_fault(None)
    assert board.relay_closed is True
    with pytest.raises(ValueError, match="E or F"):
        board.inject_cp_fault("X")
