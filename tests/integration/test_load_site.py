"""Load management end to end: the controller against hal_sim's grid connection.

A real Site reads the grid meter hal_sim serves over Modbus TCP (house load
plus every simulated EV, per phase) and throttles, pauses and fails safe
through the boards' setpoints; hal_sim's main breaker would trip if it did not.
"""

from __future__ import annotations

import io
import math
import re
from pathlib import Path

from rich.console import Console  # noqa: TID251

from edge.cli.sim_live import live_view
from edge.load.allocator import Why
from edge.store.sessions import list_sessions
from hal_sim.schedule import Visit

from .board_rig import running, until
from .load_rig import GRID_UNIT, load_site

CARD = "04A23B1C00"
STEADY_HOUSE = "house_base_a = 4.0\nhouse_peak_a = 0.0\nappliance_a = 0.0\n"


async def test_a_step_overload_throttles_and_a_silent_grid_meter_fails_safe(
    tmp_path: Path,
) -> None:
    # Slow enough that the bus's 500 ms answer timeout (a silent meter's poll)
    # is 2 s of site time: a real site waits 0.5 s for it.
    speed = 4.0
    config = load_site(
        tmp_path, "", evses=2, speed=speed, grid=STEADY_HOUSE, failsafe_a=8.0
    )
    async with running(config, tmp_path / "edge.db", speed) as rig:
        load = rig.site.load
        assert load is not None
        assert rig.world.site.grid is not None
        grid = rig.world.site.grid
        board = rig.board
        # idle EVSEs are held at 0 A until a session needs current
        await until(lambda: board.current_limit_a == 0 and board.last_setpoint_at)
        rig.world.site.plug_in(
            Visit("ev1", "E1", None, 0, 1e9, 60_000, 90_000, 0.2, 16, 3)
        )
        await rig.world.readers["E1"].present(CARD, 0.3)
        await until(lambda: board.offered_a() == 16)  # 40 - 1 margin - 4 house
        # The car ramps up over seconds; the step comes once it draws its 16 A
        # (its meter's reading, as the controller has it) and the grid meter
        # has read it since: a steady site, not one whose car still moves.
        port = rig.site.evses["E1"]

        def drawing() -> float:
            draw = port.view().draw
            return min(a or 0.0 for a in draw.currents_a) if draw else 0.0

        await until(lambda: drawing() > 15.9)
        since = rig.clock.monotonic()
        await until(lambda: load.grid["main"].read_at > since)

        # the grid meter reads house + car; the house load is the rest
        def house_a() -> tuple[float, ...]:
            alloc = load.allocation
            return alloc.house_a["main"] if alloc is not None else (math.nan,)

        await until(lambda: all(abs(h - 4.0) < 1.0 for h in house_a()))
        assert board.current_limit_a == 16, house_a()
        # A step overload: the house takes 24 A more; the car must leave room
        stepped = rig.clock.monotonic()
        grid.extra_house_a = (24.0, 24.0, 24.0)
        seen = []

        def eleven() -> bool:
            if not seen or seen[-1] != board.current_limit_a:
                seen.append(board.current_limit_a)
            return board.current_limit_a == 11

        await until(eleven, 60)  # 40 - 1 - 28
        # The first lowering comes with the next reading; while the car settles
        # (its last raise under 5 s ago) the house load is held within what the
        # car may draw, so the setpoint converges over a few polls.
        assert rig.clock.monotonic() - stepped < 12.0, seen
        assert grid.trips == 0
        # edge sim's live view shows the circuit against its limit and the setpoint
        console = Console(record=True, width=160, file=io.StringIO())
        console.print(live_view(rig.site, rig.clock))
        shown = console.export_text()
        # the allocation is taken again at every poll (the house estimate moves
        # by tenths of an amp); the board holds whole amps: 11 A
        [shown_a] = re.findall(r"│ E1 .*?(\d+\.\d) A share", shown)
        assert abs(float(shown_a) - 11.0) < 1.0, shown
        assert "/40" in shown
        assert "circuits: load / limit (A)" in shown
        # The grid meter goes silent: within its 5 s the failsafe's 8 A
        meter = rig.world.site.buses["gw"].devices[GRID_UNIT]
        meter.faults.no_answer = True
        silent = rig.clock.monotonic()
        await until(lambda: board.current_limit_a == 8)
        took = rig.clock.monotonic() - silent
        assert 4.0 <= took <= 7.5, took  # 5 s timeout, a 1 s tick, the write
        alloc = load.allocation
        assert alloc is not None
        assert alloc.failsafe == {"main"}
        assert alloc.setpoints["E1"].why is Why.FAILSAFE
        # back: the car gets its share again
        meter.faults.no_answer = False
        await until(lambda: board.current_limit_a == 11)
        assert grid.trips == 0


async def test_a_busy_evening_trips_no_fuse_and_charges_every_car(
    tmp_path: Path,
) -> None:
    """Six EVSEs, two visits each, in the evening peak of a seeded house load.

    Demand (6 x 16 A) is more than twice what the 3 x 40 A connection has left,
    and six minimums (36 A) more than it has at the peak: cars are throttled
    and some paused (the last to start first), full cars make room, every car
    charges, and the breaker never trips.
    """
    # x100, not faster: what the grid spends over its limit is the controller's
    # reaction (a poll cycle and a write, in wall time, on real wire timing)
    # times the speed, and at x150 a busy machine made that 137-248 site
    # seconds of the 204 allowed (at load 9: 84 s of it the house rising after
    # the last grid reading, 38 s a lowering queued on the bus).
    speed = 100.0
    visits = ""
    wanted: dict[str, float] = {}
    for n in range(1, 7):
        for k, (arrive, depart) in enumerate(((5, 80), (90, 170))):
            wanted_wh = 2000 + 500 * ((n + k) % 3)
            phases = 1 if (n + k) % 4 == 0 else 3
            wanted[f"ev{n}-{k}"] = wanted_wh
            visits += (
                f'[[sim.arrival]]\nev = "ev{n}-{k}"\nevse = "E{n}"\n'
                f'card = "{CARD}"\narrive_min = {arrive + n}\n'
                f"depart_min = {depart}\nenergy_wanted_wh = {wanted_wh}\n"
                f"phases = {phases}\n"
            )
    config = load_site(
        tmp_path,
        visits,
        evses=6,
        speed=speed,
        grid="seed = 7\n",
        start="2026-03-02T17:00:00Z",
        meter_timeout_s=30.0,
        resume_delay_s=300.0,
        # A driver swipes once and waits up to an hour for charging to begin:
        # a car that arrives at the peak is paused from its first setpoint (no
        # headroom for 6 A) until there is room, and a simulated driver who,
        # seeing no current offered, swiped again after 45 s would stop the
        # session (the same card stops it) and never charge.
        sim="card_attempts = 1\ncard_retry_s = 3600\n",
    )
    async with running(config, tmp_path / "edge.db", speed) as rig:
        grid = rig.world.site.grid
        assert grid is not None
        truth = rig.world.site.truth
        await until(
            lambda: sum(t["event"] == "unplug" for t in truth) == 12, timeout_s=300
        )
        await until(
            lambda: all(c.state.session is None for c in rig.site.controllers.values())
        )
        sessions = await rig.db.run(list_sessions)
        assert rig.site.load is not None
        allocations = rig.site.load.allocations
    assert grid.trips == 0
    # Every minute an appliance may switch on (up to 10 A on a phase, more than
    # the 1 A margin), and a car ramps at 5 A/s between two polls of its meter:
    # the grid is over its limit until the next poll cycle and write, a few site
    # seconds at x100 (a fraction of a second on a real site). Over the three
    # hours that stays under 2 %, far from a trip (1.45 In for 5 minutes);
    # without load management it would be over most of the evening, and trip.
    evening_s = 170 * 60
    assert grid.seconds_over_limit < 0.02 * evening_s, grid.seconds_over_limit
    unplugs = [t for t in truth if t["event"] == "unplug"]
    assert not [t for t in truth if t["event"] == "no_charge"]
    taken = {str(t["ev"]): float(str(t["energy_wh"])) for t in unplugs}
    # Every car charged (none left without energy, none over what it wanted).
    # Not every car gets all it wanted yet: a resumed car's ramp shows on the
    # grid meter before its own meter's next poll, counts as house load for a
    # poll cycle and gets the car (the last to start) paused again; about 55 %
    # of the wanted energy is delivered at x150 (see the load issue's notes).
    assert all(0 < taken[ev] <= wanted[ev] + 1 for ev in wanted), taken
    # 12 visits; a driver whose paused car did not start swipes again, which
    # stops its session and the next swipe starts another (hal_sim's driver)
    assert len(sessions) >= 12
    assert allocations > 100
