"""One EVSE with a simulated meter and board on real Modbus (TCP or an RTU pty).

The whole controller runs (the real App, drivers, scheduler, SQLite file) on a
scaled clock; the test injects faults into the simulated meter and compares the
stored sessions with the simulator's truth (what the EV took, from physics).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from drivers.modbus.profile import ProfileLibrary
from edge.app import Site
from edge.config.loader import load_config
from edge.evse.controller import EvseController
from edge.evse.states import Phase
from edge.model.clock import ScaledClock
from edge.model.session import Session
from edge.store.db import Database
from edge.store.sessions import list_sessions
from hal_sim.devices.meter import SimMeter
from hal_sim.schedule import Visit
from hal_sim.world import SimWorld
from tests.integration.sim_site import simulated

CARD = "04A23B1C00"
DEVICE_TIMEOUT_S = 20.0
SPEED = 16.0
CURRENT_A = 32
"""What the EVSE and the EV allow (22 kW on 3 phases): the energies the tests
wait for flow in half the time 16 A takes, and the rate check's bound grows
with it (a glitch is still far beyond it)."""
WAIT_WALL_S = 60.0
"""Wall seconds any one condition may take on a slow, busy machine."""

BUSES = {
    "tcp": 'id = "gw"\ntransport = "tcp"\nhost = "127.0.0.1"\nport = 1502\n',
    "rtu": 'id = "gw"\ntransport = "rtu"\ndevice = "/dev/ttyEDGE-test"\nbaud = 38400\n',
}


def site_text(tmp_path: Path, transport: str) -> str:
    return (
        '[site]\nname = "meter faults"\n\n'
        f"[[bus]]\n{BUSES[transport]}timeout_ms = 500\n\n"
        f'[[evse]]\nuid = "E1"\nmax_current_a = {CURRENT_A}\n'
        "phases = 3\nvoltage_v = 230\n"
        'meter = { bus = "gw", unit = 1, model = "eastron_sdm630" }\n'
        'board = { bus = "gw", unit = 2, model = "evse_wb" }\n'
        f'rfid = {{ port = "{tmp_path}/rfid-E1", kind = "rdm6300" }}\n\n'
        f'[[token]]\nuid = "{CARD}"\n\n'
        f"[sessions]\ndevice_timeout_s = {DEVICE_TIMEOUT_S}\n"
        "checkpoint_interval_s = 600\npoll_interval_s = 1.0\n"
    )


async def until(check: Callable[[], object], what: str) -> None:
    """Wait (polling) until ``check()`` holds; fail naming ``what``."""
    try:
        async with asyncio.timeout(WAIT_WALL_S):
            while not check():
                await asyncio.sleep(0.01)
    except TimeoutError:
        raise AssertionError(f"not reached in {WAIT_WALL_S} s: {what}") from None


@dataclass
class MeterRig:
    world: SimWorld
    site: Site
    db: Database
    clock: ScaledClock

    @property
    def ctl(self) -> EvseController:
        return self.site.controllers["E1"]

    @property
    def meter(self) -> SimMeter:
        return self.world.site.channels["E1"].meter

    def taken_wh(self) -> float:
        """What the EV plugged in has taken so far (the simulator's truth)."""
        ev = self.world.site.channels["E1"].board.ev
        return 0.0 if ev is None else ev.energy_taken_wh

    def drawing(self) -> bool:
        ev = self.world.site.channels["E1"].board.ev
        return ev is not None and ev.current_a > 0

    def contactor_closed(self) -> bool:
        return self.world.site.channels["E1"].board.relay_closed

    async def sessions(self) -> list[Session]:
        return await self.db.run(list_sessions)

    async def plug_and_charge(self, visit: Visit) -> None:
        """Plug the EV in, show the card, wait until it draws."""
        self.world.site.plug_in(visit)
        await until(lambda: self.ctl.state.cp is not None, "the board is read")
        await self.world.readers["E1"].present(CARD, 0.5)
        await until(self.drawing, "the EV draws")

    async def unplug(self, visit: Visit, sessions: int) -> float:
        """Unplug; wait until ``sessions`` sessions are closed; return the truth."""
        self.world.site.unplug(visit)
        truth = float(str(self.world.site.truth[-1]["energy_wh"]))
        done: list[Session] = []

        async def closed() -> None:
            while True:
                done[:] = [s for s in await self.sessions() if s.status != "ACTIVE"]
                if len(done) >= sessions:
                    return
                await asyncio.sleep(0.02)

        async with asyncio.timeout(WAIT_WALL_S):
            await closed()
        # A driver takes longer than a poll to bring the next car: the EVSE
        # sees the empty plug (a latching board's "next EV" rule needs it).
        await until(lambda: self.ctl.state.phase is Phase.AVAILABLE, "available")
        return truth


def visit(ev: str, wanted_wh: float) -> Visit:
    return Visit(ev, "E1", CARD, 0, 1e9, wanted_wh, 60_000, 0.3, CURRENT_A, 3)


@contextlib.asynccontextmanager
async def meter_site(tmp_path: Path, transport: str) -> AsyncIterator[MeterRig]:
    path = tmp_path / "site.toml"
    path.write_text(site_text(tmp_path, transport))
    config = load_config(path, ProfileLibrary().ids())
    clock = ScaledClock(SPEED)
    world = SimWorld(config, clock)
    for ch in world.site.channels.values():  # quick answers: a fast line
        ch.meter.turnaround_ms = ch.board.turnaround_ms = 2
    async with simulated(config, clock, tmp_path / "edge.db", world=world) as sim:
        rig = MeterRig(world, sim.site, sim.db, clock)
        await until(lambda: rig.ctl.state.phase is Phase.AVAILABLE, "available")
        yield rig
