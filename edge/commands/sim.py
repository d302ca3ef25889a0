"""``edge sim``: a simulated site and the controller on one scaled clock."""

from __future__ import annotations

import argparse
import re

from edge.commands.common import EXIT_CONFIG, load_site
from edge.commands.ocpi import add_uplink_flags, apply_uplink_flags


def parse_duration(text: str) -> float:
    """`4h`, `90m`, `30s`, `2d` or plain seconds → seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(
            f"not a duration: {text!r} (use e.g. 4h, 90m, 30s)"
        )
    factor = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    return float(m.group(1)) * factor


def cmd_sim(args: argparse.Namespace) -> int:
    """Run the simulated site with the controller."""
    from edge.sim_cli import run_sim

    config = load_site(args.config)
    config = None if config is None else apply_uplink_flags(config, args, True)
    if config is None:
        return EXIT_CONFIG
    return run_sim(config, args)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``sim``."""
    sim = sub.add_parser("sim", help="run a simulated site and the controller together")
    sim.add_argument("--config", default="config/demo.toml")
    sim.add_argument("--speed", type=float, default=60.0)
    sim.add_argument("--duration", type=parse_duration, default=parse_duration("4h"))
    sim.add_argument("--db", help="database path (default: a new file per run)")
    sim.add_argument("--truth", help="append the simulator's plug-in/unplug log here")
    sim.add_argument("--quiet", action="store_true", help="no live table")
    sim.add_argument(
        "--json",
        action="store_true",
        help="print the closing figures (with the uplink's outcome) as one JSON object",
    )
    add_uplink_flags(sim, sim=True)
    sim.set_defaults(func=cmd_sim)
