"""Load bench: 20 EVSEs behind one grid connection, a noisy house and a step overload.

    python bench/load.py [--json] [--site-min 6] [--speed 4]

Everything real but the copper: the controller (a Site with load management)
polls hal_sim's grid meter and 40 EVSE devices over one Modbus TCP gateway;
hal_sim's house load is seeded noise (appliances switching per phase every
minute) plus a step overload of 45 A per phase for two minutes; its main breaker
(type B, 160 A) trips if it is overloaded long enough. Twenty cars (every
fourth on one phase) plug in at the start and want more than the run can give.

Measured in the same run:

* overload to setpoint: from the grid meter's answer that first shows a phase
  above the limit less the margin, to the first lowered setpoint written to a
  board (wall ms, both ends in hal_sim); the target is one poll cycle plus one
  write transaction;
* the poll cycle: wall ms between two reads of the grid meter;
* seconds over the limit (site seconds any phase carried more than 160 A),
  breaker trips, pauses per car-hour (a board set to 0 A while its car asks,
  until the run ends: the controller's shutdown is no pause);
* energy delivered against an oracle: the same allocator given the house load
  exactly, every second, with no meter, poll or ramp in between (the ideal
  allocation by the same rules), integrated over the same house load.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import socket
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from drivers.modbus.profile import ProfileLibrary
from edge.app import Overrides, Site
from edge.config.loader import parse_config
from edge.load.allocator import Charge, Charging, EvseState, GridSample, allocate
from edge.load.site import site_from_config
from edge.model.clock import StallFreeClock
from edge.store.db import Database
from hal_sim.devices.evse_board import SimEvseBoard
from hal_sim.devices.meter import SimMeter
from hal_sim.ev import NOMINAL_V
from hal_sim.grid import SimGrid
from hal_sim.schedule import Visit
from hal_sim.world import SimWorld

EVSES = 20
LIMIT_A = 160.0
MARGIN_A = 1.0
GRID_UNIT = 100
STEP_A = 45.0
ROTATIONS = ("L1L2L3", "L2L3L1", "L3L1L2")
START = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


def site_text(port: int) -> str:
    """The bench site: 20 free-vend EVSEs and a metered 3 x 160 A connection."""
    evses = "".join(
        f'[[evse]]\nuid = "E{n}"\nmax_current_a = 16\nfree_vend = true\n'
        f"phases = {1 if n % 4 == 0 else 3}\n"
        f'meter = {{ bus = "gw", unit = {2 * n - 1}, model = "eastron_sdm630" }}\n'
        f'board = {{ bus = "gw", unit = {2 * n}, model = "evse_wb" }}\n\n'
        for n in range(1, EVSES + 1)
    )
    leaves = "".join(
        f'[[load.evse]]\nuid = "E{n}"\ncircuit = "main"\n'
        f'rotation = "{ROTATIONS[(n - 1) % 3]}"\n\n'
        for n in range(1, EVSES + 1)
    )
    return (
        '[site]\nname = "load bench"\n\n'
        f'[[bus]]\nid = "gw"\ntransport = "tcp"\nhost = "127.0.0.1"\nport = {port}\n'
        "timeout_ms = 500\n\n"
        + evses
        + "[sessions]\ndevice_timeout_s = 60\npoll_interval_s = 1.0\n\n"
        f"[load]\nmargin_a = {MARGIN_A}\nfailsafe_current_a = 0\n"
        "meter_timeout_s = 5\nresume_delay_s = 600\n\n"
        f'[[load.circuit]]\nid = "main"\nlimit_a = {LIMIT_A}\n'
        f'meter = {{ bus = "gw", unit = {GRID_UNIT}, model = "eastron_sdm630" }}\n\n'
        + leaves
        + f"[sim]\nstart = {START.isoformat()}\n"
        "[sim.grid]\nseed = 3\nhouse_base_a = 30.0\nhouse_peak_a = 0.0\n"
        "appliance_a = 20.0\n"
    )


class Probe:
    """Wall-clock stamps of the grid meter's answers and the boards' setpoints."""

    def __init__(self, grid: SimGrid, boards: dict[str, SimEvseBoard]) -> None:
        self.reads: list[tuple[float, bool]] = []
        """(wall s, shows an overload) per answer of the grid meter."""
        self.lowered: list[float] = []
        """Wall s of every setpoint written lower than the one before."""
        self.pauses = 0
        self.counting = True
        """Pauses count until the run ends (the controller's shutdown stops all)."""
        meter = grid.circuits["main"].meter
        assert isinstance(meter, SimMeter)
        original_read = meter.read

        def read(function: int, address: int, count: int) -> list[int] | int:
            over = any(a > LIMIT_A - MARGIN_A for a in meter.currents)
            self.reads.append((time.perf_counter(), over))
            return original_read(function, address, count)

        meter.read = read  # type: ignore[method-assign]
        for board in boards.values():
            self._watch(board)

    def _watch(self, board: SimEvseBoard) -> None:
        original = board.apply_write

        def apply_write(
            function: int, address: int, values: tuple[int, ...]
        ) -> int | None:
            before = board.current_limit_a
            out = original(function, address, values)
            after = board.current_limit_a
            if after < before:
                self.lowered.append(time.perf_counter())
                ev = board.ev
                if self.counting and after == 0 and ev is not None and ev.requesting:
                    self.pauses += 1
            return out

        board.apply_write = apply_write  # type: ignore[method-assign]

    def overload_latencies_ms(self, within_s: float = 2.0) -> tuple[list[float], int]:
        """Per overload episode: ms to the first lowered setpoint; and those without."""
        out: list[float] = []
        missed = 0
        was_over = False
        j = 0
        for t, over in self.reads:
            if over and not was_over:
                while j < len(self.lowered) and self.lowered[j] < t:
                    j += 1
                if j < len(self.lowered) and self.lowered[j] - t <= within_s:
                    out.append((self.lowered[j] - t) * 1000)
                else:
                    missed += 1
            was_over = over
        return out, missed

    def poll_cycle_ms(self) -> float:
        times = [t for t, _ in self.reads]
        gaps = [(b - a) * 1000 for a, b in itertools.pairwise(times)]
        return statistics.median(gaps) if gaps else float("nan")


def oracle_wh(
    config_text: str,
    house: Callable[[float], tuple[float, float, float]],
    duration_s: float,
) -> float:
    """The allocator with the exact house load every second: energy it gives."""
    config = parse_config(config_text, "bench.toml", ProfileLibrary().ids())
    assert config.load is not None
    tree = site_from_config(config.load, config.evse)
    phases = {e.uid: e.phases for e in config.evse}
    states = {u: EvseState(True, Charging(16.0, 0.0)) for u in phases}
    total = 0.0
    for k in range(int(duration_s)):
        sample = GridSample(house(float(k)), 0.0)
        alloc = allocate(tree, states, {"main": sample}, 0.0)
        for uid, sp in alloc.setpoints.items():
            if isinstance(sp, Charge):
                total += sp.current_a * phases[uid] * NOMINAL_V / 3600.0
    return total


async def bench(args: argparse.Namespace, tmp: Path) -> dict[str, float]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    text = site_text(port)
    config = parse_config(text, "bench.toml", ProfileLibrary().ids())
    duration_s = args.site_min * 60.0
    clock = StallFreeClock(args.speed, START)
    async with clock.ticking():
        world = SimWorld(config, clock)
        endpoints = await world.start()
        grid = world.site.grid
        assert grid is not None
        boards = {uid: ch.board for uid, ch in world.site.channels.items()}
        probe = Probe(grid, boards)
        db = await Database.open(tmp / "edge.db")
        site = Site(config, clock, db, Overrides(endpoints=dict(endpoints.modbus)))
        tasks = [
            asyncio.create_task(world.run(start_when=site.ready.wait)),
            asyncio.create_task(site.run()),
        ]
        try:
            await site.ready.wait()
            t0 = clock.monotonic()
            t_utc0 = clock.utcnow().timestamp()
            for n, uid in enumerate(boards, start=1):
                phases = 1 if n % 4 == 0 else 3
                visit = Visit(f"ev{n}", uid, None, 0, 1e9, 1e6, 80_000, 0.2, 16, phases)
                world.site.plug_in(visit)
            probe.reads.clear()
            probe.lowered.clear()
            step_at, step_end = duration_s / 3, duration_s / 3 + 120.0
            while (now := clock.monotonic() - t0) < duration_s:
                stepped = step_at <= now < step_end
                grid.extra_house_a = (STEP_A,) * 3 if stepped else (0.0, 0.0, 0.0)
                await clock.sleep(1.0)
            grid.extra_house_a = (0.0, 0.0, 0.0)
            probe.counting = False
            delivered = sum(
                ch.board.ev.energy_taken_wh
                for ch in world.site.channels.values()
                if ch.board.ev is not None
            )
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await world.close()
            await db.close()

    # the oracle sees the same house load over the same site seconds, the step too
    def house(k: float) -> tuple[float, float, float]:
        h = grid.house.current_a(t_utc0 + k)
        x = STEP_A if step_at <= k < step_end else 0.0
        return (h[0] + x, h[1] + x, h[2] + x)

    ideal = oracle_wh(text, house, duration_s)
    latencies, missed = probe.overload_latencies_ms()
    latencies.sort()
    car_hours = EVSES * duration_s / 3600.0
    cycle = probe.poll_cycle_ms()
    return {
        "overload_episodes": len(latencies),
        "overloads_without_setpoint": missed,
        "overload_to_setpoint_p50_ms": statistics.median(latencies)
        if latencies
        else -1,
        "overload_to_setpoint_p99_ms": latencies[
            min(len(latencies) - 1, int(0.99 * len(latencies)))
        ]
        if latencies
        else -1,
        "poll_cycle_ms": cycle,
        "seconds_over_limit": grid.seconds_over_limit,
        "max_over_a": grid.circuits["main"].max_over_a,
        "trips": grid.trips,
        "pauses_per_car_hour": probe.pauses / car_hours,
        "energy_wh": delivered,
        "oracle_wh": ideal,
        "energy_ratio_vs_oracle": delivered / ideal if ideal else 0.0,
    }


def main() -> None:
    """Parse arguments, run, print a table (and the JSON object last)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", action="store_true")
    p.add_argument("--site-min", type=float, default=6.0, help="site minutes to run")
    p.add_argument("--speed", type=float, default=4.0, help="site seconds per wall s")
    args = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-load-") as d:
        r = asyncio.run(bench(args, Path(d)))
    rows = [
        ("overload to setpoint p50", f"{r['overload_to_setpoint_p50_ms']:.1f} ms", ""),
        (
            "overload to setpoint p99",
            f"{r['overload_to_setpoint_p99_ms']:.1f} ms",
            f"target one poll cycle + one write; {r['overload_episodes']} episodes, "
            f"{r['overloads_without_setpoint']} without a lowered setpoint in 2 s",
        ),
        ("poll cycle", f"{r['poll_cycle_ms']:.1f} ms", "41 devices on one TCP gateway"),
        (
            "over the limit",
            f"{r['seconds_over_limit']:.1f} s",
            f"of {args.site_min * 60:g} site s; at most {r['max_over_a']:.1f} A over",
        ),
        ("fuse trips", f"{r['trips']}", "target 0"),
        ("pauses", f"{r['pauses_per_car_hour']:.2f} /car h", ""),
        (
            "energy vs oracle",
            f"{r['energy_ratio_vs_oracle']:.3f}",
            f"{r['energy_wh'] / 1000:.1f} of {r['oracle_wh'] / 1000:.1f} kWh; "
            "target 0.95",
        ),
    ]
    print(f"load bench: {EVSES} EVSEs, 3 x {LIMIT_A:g} A, x{args.speed:g}")
    for name, value, note in rows:
        print(f"{name:<26} {value:>14}  {note}")
    if args.json:
        print(json.dumps({k: round(float(v), 3) for k, v in r.items()}))


if __name__ == "__main__":
    main()
