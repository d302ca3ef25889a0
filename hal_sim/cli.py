"""The ``hal-sim`` command: serve a site file's simulated hardware."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from drivers.modbus.profile import ProfileLibrary
from edge.config.loader import ConfigError, load_config
from edge.model.clock import ScaledClock
from hal_sim.world import SimWorld


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` so that a reader never sees half of it."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


FILE_POLL_WALL_S = 0.05
"""How often (wall seconds) ``--start-when`` looks for its file."""


async def file_appears(path: Path, clock: ScaledClock) -> None:
    """Return once ``path`` exists (written by another process: polled)."""
    while not await asyncio.to_thread(path.exists):
        await clock.sleep(clock.from_wall(FILE_POLL_WALL_S))


async def serve(args: argparse.Namespace) -> int:
    """Serve until SIGINT/SIGTERM; print one line per device first."""
    try:
        config = load_config(args.file, ProfileLibrary().ids())
    except ConfigError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        return 2
    start = config.sim.start if config.sim and config.sim.start else datetime.now(UTC)
    speed = (
        args.speed
        if args.speed is not None
        else (config.sim.speed if config.sim else 1.0)
    )
    clock = ScaledClock(speed, start.astimezone(UTC))
    world = SimWorld(
        config,
        clock,
        truth_path=Path(args.truth) if args.truth else None,
        fixed_ports=True,
        link_rfid=True,
    )
    if args.clock_file:
        # Written before the devices answer, so a controller started with the same
        # --clock-file shares this site time (its sessions and our truth agree).
        write_atomically(Path(args.clock_file), clock.anchor())
    try:
        await world.start()
    except OSError as exc:
        print(f"cannot start the simulated devices: {exc}", file=sys.stderr)
        return 1
    for line in world.describe():
        print(line, flush=True)
    start_when = None
    if args.start_when:
        gate = Path(args.start_when)
        print(f"holding the EV schedule until {gate} exists", file=sys.stderr)

        async def start_when() -> None:
            await file_appears(gate, clock)

    task = asyncio.create_task(world.run(start_when=start_when))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, task.cancel)
    try:
        await task
    except asyncio.CancelledError:
        pass
    finally:
        await world.close()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``hal-sim`` console script."""
    p = argparse.ArgumentParser(prog="hal-sim", description="simulated site hardware")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="serve a site file's simulated devices")
    s.add_argument("file")
    s.add_argument("--speed", type=float, help="site seconds per wall second")
    s.add_argument("--truth", help="append one JSON line per plug-in and unplug here")
    s.add_argument(
        "--clock-file", help="write the site clock here for `edge run --clock-file`"
    )
    s.add_argument(
        "--start-when",
        metavar="PATH",
        help="serve at once, but start the EV schedule only once PATH exists "
        "(`edge run --ready-file PATH`: the controller is READY); the clock runs on",
    )
    args = p.parse_args(argv)
    return asyncio.run(serve(args))


if __name__ == "__main__":
    sys.exit(main())
