"""A board's own relay, welded or not closing, seen over real Modbus TCP.

Parametrized over the board profiles that report their relay (a
``relay_closed`` row): the simulated board's relay is welded, or kept from
closing; the controller sees it through the profile's row, puts the EVSE in its
safe state (OUTOFORDER, contactor commanded open) and recovers once the relay
is repaired. The session bills what the EV took.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from drivers.modbus.profile import PROFILE_ROOT, load_profile_file
from edge.evse.states import EvseStatus, FaultKind, Phase
from edge.model.measurement import Measurement
from edge.store.sessions import list_sessions
from hal_sim.devices.evse_board import RelayFault
from hal_sim.schedule import Visit

from .board_rig import board_site, running, until

REPORTING = [
    path
    for path in sorted((PROFILE_ROOT / "evse").glob("*.toml"))
    if load_profile_file(path).register(Measurement.RELAY_CLOSED) is not None
]
CARD = "04A23B1C00"
SPEED = 20.0


def test_the_boards_that_report_their_relay_are_tested() -> None:
    assert {p.stem for p in REPORTING} >= {"evse_wb", "bender_cc612"}


def ev(name: str) -> Visit:
    return Visit(name, "E1", None, 0, 1e9, 20_000, 60_000, 0.3, 16, 3)


def as_registered_wh(wh: float) -> float:
    """What the site's meter (an SDM630: f32 kWh) reads for ``wh``."""
    kwh: float = struct.unpack(">f", struct.pack(">f", wh / 1000))[0]
    return kwh * 1000


def billable_wh(taken_wh: float, meter_end_wh: float) -> int:
    """The EV's fractional energy as the meter's readings, to the Wh, bill it.

    The start reading is the meter's whole-Wh start value (read before the
    relay closed); the stop reading is the register's f32, which steps 0.12 Wh
    at 1,250 kWh: 51.475 Wh taken reads 1,250,051.514 Wh and bills 52 Wh.
    """
    start = round(meter_end_wh - taken_wh)
    return round(as_registered_wh(meter_end_wh)) - start


def taken(rig) -> dict[str, float]:
    return {
        str(t["ev"]): float(str(t["energy_wh"]))
        for t in rig.world.site.truth
        if t["event"] == "unplug"
    }


async def start_charging(rig, visit: Visit) -> None:
    ctl = rig.site.controllers["E1"]
    await until(lambda: ctl.state.phase is Phase.AVAILABLE)
    rig.world.site.plug_in(visit)
    await rig.world.readers["E1"].present(CARD, 0.3)
    await until(lambda: rig.board.ev is not None and rig.board.ev.energy_taken_wh > 50)


@pytest.mark.parametrize("profile", REPORTING, ids=lambda p: p.stem)
async def test_a_welded_board_relay_blocks_the_evse_until_repaired(
    tmp_path: Path, profile: Path
) -> None:
    config = board_site(tmp_path, profile.stem)
    async with running(config, tmp_path / "edge.db", SPEED) as rig:
        ctl = rig.site.controllers["E1"]
        first = ev("ev1")
        await start_charging(rig, first)
        rig.board.inject_relay_fault(RelayFault.WELDED)
        rig.world.site.unplug(first)
        await until(lambda: ctl.state.fault is FaultKind.RELAY_WELDED)
        assert ctl.state.status is EvseStatus.OUTOFORDER
        assert ctl.state.contactor is False
        # the board is told to stay open: the state commands it at once, the
        # write reaches the board over the bus after (later on a busy machine)
        await until(lambda: rig.board.offered_a() == 0)
        assert ctl.state.session is None  # closed when the EV left
        # the next car's card is refused while the relay is welded
        second = ev("ev2")
        rig.world.site.plug_in(second)
        await rig.world.readers["E1"].present(CARD, 0.3)
        shown = rig.clock.monotonic()
        await until(lambda: rig.clock.monotonic() - shown > 30)
        assert ctl.state.session is None
        assert rig.board.offered_a() == 0
        # repaired: the EVSE recovers on its own
        rig.board.inject_relay_fault(None)
        await until(lambda: ctl.state.fault is None)
        rig.world.site.unplug(second)
        await until(lambda: ctl.state.phase is Phase.AVAILABLE)
        sessions = await rig.db.run(list_sessions)
        got = taken(rig)
        meter_wh = rig.world.site.channels["E1"].meter.energy_import_wh
    [session] = sessions
    assert session.stop_reason == "EV_DISCONNECTED"
    assert session.energy_wh == billable_wh(got["ev1"], meter_wh)
    assert got["ev2"] == 0


@pytest.mark.parametrize("profile", REPORTING, ids=lambda p: p.stem)
async def test_a_board_relay_that_does_not_close_faults_and_is_retried(
    tmp_path: Path, profile: Path
) -> None:
    config = board_site(tmp_path, profile.stem)
    async with running(config, tmp_path / "edge.db", SPEED) as rig:
        ctl = rig.site.controllers["E1"]
        visit = ev("ev1")
        await start_charging(rig, visit)
        rig.board.inject_relay_fault(RelayFault.NOT_CLOSING)
        await until(lambda: ctl.state.fault is FaultKind.RELAY_NOT_CLOSED)
        assert ctl.state.status is EvseStatus.OUTOFORDER
        assert ctl.state.contactor is False
        await until(lambda: rig.board.offered_a() == 0)  # the write follows
        assert ctl.state.session is not None  # kept, to resume
        car = rig.board.ev
        assert car is not None
        stalled = car.energy_taken_wh
        # repaired: the next try (after relay_retry_s) closes it and charging resumes
        rig.board.inject_relay_fault(None)
        await until(lambda: car.energy_taken_wh > stalled + 50)
        assert ctl.state.fault is None
        assert ctl.state.phase is Phase.CHARGING
        rig.world.site.unplug(visit)
        await until(lambda: ctl.state.session is None)
        sessions = await rig.db.run(list_sessions)
        got = taken(rig)
        meter_wh = rig.world.site.channels["E1"].meter.energy_import_wh
    [session] = sessions
    assert session.stop_reason == "EV_DISCONNECTED"
    assert session.energy_wh == billable_wh(got["ev1"], meter_wh)
