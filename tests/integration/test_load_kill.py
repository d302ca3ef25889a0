"""A controller killed (SIGKILL) while a car charges at a high setpoint leaves
its board safe: the board's watchdog, no longer fed, falls back to its safe
current within its period.

The controller is a real ``edge run`` process with load management; the
simulated site (an Alfen Eve, whose profile declares its 60 s watchdog) runs in
this test's process on the same site clock (``--clock-file``), so that the
board can be watched after the controller is gone.
"""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC
from pathlib import Path

from edge.model.clock import ScaledClock
from hal_sim.devices.evse_board import SAFE_CURRENT_A
from hal_sim.schedule import Visit
from hal_sim.world import SimWorld

from .load_rig import load_site
from .processes import start, stop

SPEED = 30.0
"""The watchdog's 60 s is 2 s of wall time; its feed every 20 s, 2/3 s."""
CARD = "04A23B1C00"
WATCHDOG_S = 60.0


async def wait_until(check, timeout_s: float = 60.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not check():
            await asyncio.sleep(0.01)


async def test_a_killed_controller_leaves_the_board_at_its_safe_current(
    tmp_path: Path,
) -> None:
    config = load_site(
        tmp_path,
        "",
        evses=1,
        speed=SPEED,
        board="alfen_eve",
        max_current_a=32,
        failsafe_a=32.0,  # a busy machine's stall must not pause the car
        meter_timeout_s=30.0,
        grid="house_base_a = 2.0\nhouse_peak_a = 0.0\nappliance_a = 0.0\n",
    )
    assert config.sim is not None
    assert config.sim.start is not None
    clock = ScaledClock(SPEED, config.sim.start.astimezone(UTC))
    anchor = tmp_path / "clock.json"
    anchor.write_text(clock.anchor())
    world = SimWorld(config, clock, fixed_ports=True, link_rfid=True)
    await world.start()
    world_task = asyncio.create_task(world.run())
    log = tmp_path / "edge.log"
    ready = tmp_path / "ready"
    edge = start(
        [
            "edge",
            "run",
            "--config",
            str(tmp_path / "site.toml"),
            "--db",
            str(tmp_path / "edge.db"),
            "--clock-file",
            str(anchor),
            "--ready-file",
            str(ready),
        ],
        log,
    )
    board = world.site.channels["E1"].board
    try:
        await wait_until(ready.exists, 90)
        visit = Visit("ev1", "E1", None, 0, 1e9, 60_000, 90_000, 0.2, 32, 3)
        world.site.plug_in(visit)
        await world.readers["E1"].present(CARD, 0.3)
        # load management gives it all it may: 32 A (40 - 1 margin - 2 house)
        await wait_until(lambda: board.offered_a() == 32, 60)
        fed = board.last_setpoint_at
        await wait_until(lambda: board.last_setpoint_at != fed)  # fed again
        assert board.watchdog_trips == 0
        await asyncio.to_thread(stop, edge, signal.SIGKILL)  # no clean-up at all
        killed = clock.monotonic()
        last_fed = board.last_setpoint_at
        assert last_fed is not None
        # A setpoint above the safe current (the 32 A it was given; no exact
        # value: the controller runs in its own process on a plain scaled
        # clock, where a stall of a loaded machine is many site seconds), and
        # nothing changes it once the controller is gone but the watchdog.
        at_kill = board.current_limit_a
        assert at_kill > SAFE_CURRENT_A, at_kill
        await wait_until(lambda: board.offered_a() == SAFE_CURRENT_A)
        fell_back = clock.monotonic()
        assert board.current_limit_a == at_kill  # nothing wrote it: it was killed
    finally:
        await asyncio.to_thread(stop, edge)
        world_task.cancel()
        await asyncio.gather(world_task, return_exceptions=True)
        await world.close()
    # within its watchdog period of the kill, and only once the last feed lapsed
    assert fell_back - killed <= WATCHDOG_S + 2.0, log.read_text()[-2000:]
    assert fell_back - last_fed >= WATCHDOG_S * 0.95
    assert board.watchdog_trips == 1
