"""Every shipped profile loads, is consistent, and covers what its kind needs."""

from __future__ import annotations

import itertools

import pytest

from drivers.modbus.coalesce import poll_plan
from drivers.modbus.profile import (
    PROFILE_ROOT,
    DeviceKind,
    Profile,
    ProfileLibrary,
    profile_paths,
)
from edge.model.measurement import UNIT, Measurement

LIBRARY = ProfileLibrary()
IDS = LIBRARY.ids()
M = Measurement
METER_NEEDS = {
    M.VOLTAGE_L1, M.VOLTAGE_L2, M.VOLTAGE_L3,
    M.CURRENT_L1, M.CURRENT_L2, M.CURRENT_L3,
    M.POWER_L1, M.POWER_L2, M.POWER_L3,
    M.POWER, M.ENERGY_IMPORT, M.FREQUENCY,
}  # fmt: skip
EXPECTED_MODELS = {
    "eastron_sdm630", "eastron_sdm120", "eastron_sdm72d_m", "abb_b23_b24",
    "carlo_gavazzi_em340", "carlo_gavazzi_em24", "phoenix_eem_em357",
    "orno_or_we_517", "iskra_wm3m4", "sunspec_201", "sunspec_202", "sunspec_203",
    "sunspec_204", "evse_wb", "phoenix_ev_cc", "bender_cc612", "alfen_eve",
    "waveshare_modbus_rtu_io_8ch",
}  # fmt: skip


def _load(profile_id: str) -> Profile:
    profile = LIBRARY.get(profile_id)
    return profile.rebased(40071) if profile.relative else profile


def test_every_model_of_the_issue_has_a_profile():
    assert set(IDS) >= EXPECTED_MODELS


def test_profiles_sit_in_the_folder_of_their_kind():
    folders = {"meters": DeviceKind.METER, "evse": DeviceKind.EVSE_BOARD}
    folders["relays"] = DeviceKind.RELAY
    for profile_id, path in profile_paths(PROFILE_ROOT).items():
        assert LIBRARY.get(profile_id).kind is folders[path.parent.name]


@pytest.mark.parametrize("profile_id", IDS)
def test_profile_loads_with_a_sourced_header(profile_id):
    profile = LIBRARY.get(profile_id)
    assert profile.registers
    assert profile.path is not None
    header = profile.path.read_text(encoding="utf-8").split("[device]")[0]
    assert "Source" in header
    assert "Confidence" in header


@pytest.mark.parametrize("profile_id", IDS)
def test_every_measurement_is_in_the_vocabulary(profile_id):
    for spec in LIBRARY.get(profile_id).registers:
        assert spec.measurement in UNIT


@pytest.mark.parametrize("profile_id", IDS)
def test_rows_do_not_overlap(profile_id):
    rows = sorted(
        LIBRARY.get(profile_id).registers, key=lambda r: (r.function, r.address)
    )
    for a, b in itertools.pairwise(rows):
        if a.function == b.function and a.bit is None:
            assert a.end <= b.address, f"{a.measurement} overlaps {b.measurement}"


@pytest.mark.parametrize("profile_id", IDS)
def test_profile_can_be_polled(profile_id):
    profile = _load(profile_id)
    plan = poll_plan(profile)
    blocks = plan.fast_blocks + tuple(b for g in plan.slow_block_groups for b in g)
    for spec in profile.registers:
        assert any(b.covers(spec) for b in blocks), spec.measurement
    for block in blocks:
        if not block.function.is_bits:
            assert block.count <= profile.max_registers_per_request


@pytest.mark.parametrize("profile_id", IDS)
def test_meters_report_the_usual_set_or_say_why_not(profile_id):
    profile = LIBRARY.get(profile_id)
    if profile.kind is not DeviceKind.METER:
        return
    present = {r.measurement for r in profile.registers}
    missing = METER_NEEDS - present
    assert missing == set(profile.absent) & METER_NEEDS
    if missing:
        assert profile.absent_reason


@pytest.mark.parametrize("profile_id", IDS)
def test_boards_have_cp_state_and_a_current_limit_control(profile_id):
    profile = LIBRARY.get(profile_id)
    if profile.kind is not DeviceKind.EVSE_BOARD:
        return
    cp = profile.register(M.CP_STATE)
    assert cp is not None
    symbols = set((cp.values or {}).values()) | set((cp.text_values or {}).values())
    assert {"A", "B", "C"} <= symbols
    control = profile.controls["current_limit"]
    assert control.function is not None
    assert control.address is not None
    assert "enable" in profile.controls


@pytest.mark.parametrize("profile_id", IDS)
def test_relays_pair_every_coil_with_a_mirror_contact(profile_id):
    profile = LIBRARY.get(profile_id)
    if profile.kind is not DeviceKind.RELAY:
        return
    coils = {r.channel for r in profile.registers if r.measurement is M.COIL}
    mirrors = {
        r.channel for r in profile.registers if r.measurement is M.MIRROR_CONTACT
    }
    assert coils
    assert coils == mirrors
    for channel in coils:
        assert profile.controls[f"relay_{channel}"].function == 5


@pytest.mark.parametrize("profile_id", IDS)
def test_identity_or_discovery_recognises_the_model(profile_id):
    profile = LIBRARY.get(profile_id)
    assert profile.identity or profile.sunspec_model is not None
