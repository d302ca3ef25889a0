"""A simulated RS-485 line on a pty with the controller's stack on the other side."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from drivers.evse_board import ProfileEvseBoard
from drivers.meter import ProfileMeter
from drivers.modbus.client import Endpoint, ModbusClient
from drivers.modbus.profile import ProfileLibrary
from drivers.modbus.scheduler import BusScheduler
from drivers.modbus.wire import LineTiming
from edge.model.clock import SystemClock
from hal_sim.devices.base import ProfileDevice
from hal_sim.devices.evse_board import SimEvseBoard
from hal_sim.devices.meter import SimMeter
from hal_sim.modbus.rtu import HeardFrame, RtuLineSim

LIB = ProfileLibrary()
FAST = LineTiming(38400, "N", 1)


def sim_meter(unit: int, energy_wh: float = 1_234_500.0) -> SimMeter:
    return SimMeter(LIB.get("eastron_sdm630"), unit, energy_wh)


def sim_board(unit: int) -> SimEvseBoard:
    return SimEvseBoard(LIB.get("evse_wb"), unit, asyncio.get_running_loop().time)


@dataclass
class Rig:
    line: RtuLineSim
    path: str
    timing: LineTiming
    heard: list[HeardFrame] = field(default_factory=list)

    def endpoint(self, **kw: object) -> Endpoint:
        t = self.timing
        args: dict = dict(
            device=self.path, baud=t.baud, parity=t.parity, stopbits=t.stopbits
        )
        args.update(kw)
        return Endpoint("rtu", **args)

    def scheduler(self, **kw: object) -> BusScheduler:
        return BusScheduler("rs485", ModbusClient(self.endpoint(**kw)), SystemClock())


@contextlib.asynccontextmanager
async def rtu_line(
    devices: dict[int, ProfileDevice], timing: LineTiming = FAST
) -> AsyncIterator[Rig]:
    heard: list[HeardFrame] = []
    line = RtuLineSim(devices, timing, on_frame=heard.append)
    path = await line.start()
    try:
        yield Rig(line, path, timing, heard)
    finally:
        await line.close()


@contextlib.asynccontextmanager
async def running(scheduler: BusScheduler) -> AsyncIterator[None]:
    task = asyncio.create_task(scheduler.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def until(predicate, timeout_s: float = 5.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.002)


def meter_on(sched: BusScheduler, unit: int, **kw) -> ProfileMeter:
    return ProfileMeter(
        f"m{unit}", LIB.get("eastron_sdm630"), unit, sched, SystemClock(), **kw
    )


def board_on(sched: BusScheduler, unit: int, **kw) -> ProfileEvseBoard:
    return ProfileEvseBoard(
        f"b{unit}", LIB.get("evse_wb"), unit, sched, SystemClock(), **kw
    )
