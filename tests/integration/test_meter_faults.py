"""Meter faults injected in hal_sim, over real Modbus TCP and RTU (a pty).

A bill is never made of a glitch: through each fault the session's energy is
the EV's true energy (the simulator's physics) to the Wh; a register that stays
wrong longer than the device timeout opens the contactor, and the EVSE recovers
once it reads plausibly again; a replaced meter closes the session on its last
good reading and the next session starts on the new meter's reading.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from edge.evse.state_machine import METER_RESET
from edge.evse.states import FaultKind
from edge.model.session import Session

from .meter_fault_rig import DEVICE_TIMEOUT_S, meter_site, until, visit
from .meter_step import f32_step_wh

IN_FLIGHT_S = 5.0
"""Site seconds a poll under way when a fault is injected may still take."""

BOTH = pytest.mark.parametrize("transport", ["tcp", "rtu"])
"""The replaced meter runs on both transports, a non-finite register too (NaN on
TCP, inf on RTU); each other fault on one of them, alternating: what a register
says is judged after decoding, the same bytes on either line (each pair was
run on both before, 12 tests of ~5 s for these 7)."""


def assert_billed_truth(session: Session, truth_wh: float) -> None:
    assert truth_wh > 100, "the EV took too little for the test to mean anything"
    # Two readings rounded to the Wh, of a float32 kWh register (near 1,000 kWh)
    step = f32_step_wh(session.meter_stop_wh or 0)
    assert abs(session.energy_wh - truth_wh) <= 1.0 + step, (session, truth_wh)


@pytest.mark.parametrize("transport", ["rtu"])
async def test_a_jump_of_a_million_kwh_is_not_billed(tmp_path: Path, transport):
    async with meter_site(tmp_path, transport) as rig:
        ev = visit("ev1", 300)
        await rig.plug_and_charge(ev)
        await until(lambda: rig.taken_wh() > 100, "charging a while")
        rig.meter.energy_faults.jump_wh = 1e9  # +10^6 kWh, one answer
        await until(lambda: rig.meter.energy_faults.jump_wh == 0, "the glitch sent")
        await until(lambda: rig.ctl.meter_rejections.get("TOO_FAST"), "rejected")
        await until(lambda: rig.taken_wh() >= 300, "the EV is full")
        truth = await rig.unplug(ev, 1)
        [session] = await rig.sessions()
        assert session.stop_reason == "EV_DISCONNECTED"
        assert_billed_truth(session, truth)
        assert rig.ctl.meter_rejections == {"TOO_FAST": 1}


@pytest.mark.parametrize(
    ("fault", "transport"), [("nan", "tcp"), ("inf", "rtu"), ("backwards", "tcp")]
)
async def test_a_register_that_stays_wrong_opens_the_contactor_until_it_recovers(
    tmp_path: Path, transport, fault
):
    reason = "BACKWARDS" if fault == "backwards" else "NOT_FINITE"
    async with meter_site(tmp_path, transport) as rig:
        ev = visit("ev1", 400)
        await rig.plug_and_charge(ev)
        await until(lambda: rig.taken_wh() > 100, "charging a while")
        faults = rig.meter.energy_faults
        if fault == "backwards":
            faults.backwards_wh = 2.0
        else:
            faults.not_finite = math.nan if fault == "nan" else math.inf
        start = rig.clock.monotonic()
        await until(lambda: rig.ctl.state.fault is FaultKind.METER_SILENT, "silent")
        # Silent since its last believed reading: no rejected one renewed it
        # (a read in flight when the fault began may still have been good).
        seen = rig.ctl.state.meter_seen
        assert seen is not None
        assert seen < start + IN_FLIGHT_S
        assert rig.clock.monotonic() - seen >= DEVICE_TIMEOUT_S
        await until(lambda: not rig.contactor_closed(), "the contactor opens")
        stalled = rig.taken_wh()
        assert rig.ctl.meter_rejections.get(reason, 0) >= 2
        faults.clear()
        await until(lambda: rig.ctl.state.fault is None, "recovered")
        await until(rig.contactor_closed, "the contactor closes again")
        await until(lambda: rig.taken_wh() > stalled + 50, "charging again")
        await until(lambda: rig.taken_wh() >= 400, "the EV is full")
        truth = await rig.unplug(ev, 1)
        [session] = await rig.sessions()
        assert session.stop_reason == "EV_DISCONNECTED"
        assert_billed_truth(session, truth)
        assert set(rig.ctl.meter_rejections) == {reason}


@pytest.mark.parametrize("transport", ["rtu"])
async def test_a_stuck_register_while_the_ev_draws_opens_the_contactor(
    tmp_path: Path, transport
):
    async with meter_site(tmp_path, transport) as rig:
        ev = visit("ev1", 400)
        await rig.plug_and_charge(ev)
        await until(lambda: rig.taken_wh() > 100, "charging a while")
        rig.meter.energy_faults.stuck = True
        await until(lambda: rig.ctl.meter_rejections.get("STUCK"), "stuck seen")
        await until(lambda: rig.ctl.state.fault is FaultKind.METER_SILENT, "silent")
        await until(lambda: not rig.contactor_closed(), "the contactor opens")
        rig.meter.energy_faults.clear()
        # The register catches up with what flowed: plausible, so believed.
        await until(lambda: rig.ctl.state.fault is None, "recovered")
        await until(lambda: rig.taken_wh() >= 400, "the EV is full")
        truth = await rig.unplug(ev, 1)
        [session] = await rig.sessions()
        assert_billed_truth(session, truth)


@BOTH
async def test_a_replaced_meter_closes_the_session_and_the_next_starts_on_it(
    tmp_path: Path, transport
):
    async with meter_site(tmp_path, transport) as rig:
        first = visit("ev1", 200)
        await rig.plug_and_charge(first)
        await until(lambda: rig.taken_wh() >= 200, "the EV is full")
        await until(lambda: not rig.drawing(), "the EV stops drawing")
        old_wh = rig.meter.energy_import_wh
        await until(
            lambda: (rig.ctl.state.meter_wh or 0) >= round(old_wh), "last reading"
        )
        rig.meter.replace_meter(500.0)  # a new meter, far lower
        await until(lambda: rig.ctl.meter_resets == 1, "the new meter is seen")
        await until(lambda: rig.ctl.state.session is None, "the session closes")
        truth_first = await rig.unplug(first, 1)
        second = visit("ev2", 300)
        await rig.plug_and_charge(second)
        await until(lambda: rig.taken_wh() >= 300, "the second EV is full")
        truth_second = await rig.unplug(second, 2)
        one, two = await rig.sessions()
        assert one.stop_reason == METER_RESET
        assert one.meter_stop_wh == round(old_wh)  # its last good reading
        assert_billed_truth(one, truth_first)
        assert two.meter_start_wh == 500  # the new meter's baseline
        assert two.stop_reason == "EV_DISCONNECTED"
        assert_billed_truth(two, truth_second)
        # the far-lower readings before the new meter was confirmed
        assert rig.ctl.meter_rejections == {"BACKWARDS": 2}
