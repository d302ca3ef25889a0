"""The ``edge`` command: run, sim, sessions, config check, profiles."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import logging
import re
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from drivers.errors import ProfileError
from drivers.modbus.profile import ProfileLibrary
from edge.config.loader import ConfigError, load_config
from edge.config.schema import SiteConfig
from edge.log import setup_logging

EXIT_CONFIG = 2
EXIT_RUNTIME = 1


def parse_duration(text: str) -> float:
    """`4h`, `90m`, `30s`, `2d` or plain seconds → seconds."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(
            f"not a duration: {text!r} (use e.g. 4h, 90m, 30s)"
        )
    factor = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]
    return float(m.group(1)) * factor


def _load(path: str) -> SiteConfig:
    return load_config(path, ProfileLibrary().ids())


def cmd_config_check(args: argparse.Namespace) -> int:
    """Validate a site file and print every problem."""
    try:
        config = _load(args.file)
    except ConfigError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        print(f"{len(exc.issues)} problem(s) in {args.file}", file=sys.stderr)
        return EXIT_CONFIG
    print(
        f"{args.file}: OK ({len(config.evse)} EVSE, {len(config.bus)} bus, "
        f"{len(config.token)} token)"
    )
    return 0


def cmd_profiles(args: argparse.Namespace) -> int:
    """List the device profiles."""
    lib = ProfileLibrary()
    rows = []
    for pid in lib.ids():
        p = lib.get(pid)
        rows.append(
            {
                "id": pid,
                "kind": str(p.kind),
                "manufacturer": p.manufacturer,
                "model": p.model,
                "products": list(p.products),
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        print(f"{r['id']:<28} {r['kind']:<11} {r['manufacturer']} {r['model']}")
    return 0


async def _sessions(db_path: str) -> list[dict[str, object]]:
    from edge.store import sessions as repo
    from edge.store.db import Database
    from edge.store.export import session_rows

    if not Path(db_path).exists():
        raise FileNotFoundError(db_path)
    db = await Database.open(db_path)
    try:
        found = await db.run(repo.list_sessions)
    finally:
        await db.close()
    return session_rows(found)


def cmd_sessions(args: argparse.Namespace) -> int:
    """List sessions from the database."""
    try:
        rows = asyncio.run(_sessions(args.db))
    except FileNotFoundError:
        print(f"no database at {args.db} (give --db PATH)", file=sys.stderr)
        return EXIT_RUNTIME
    if args.evse:
        rows = [r for r in rows if r["evse_uid"] == args.evse]
    if args.status:
        rows = [r for r in rows if r["status"] == args.status.upper()]
    if args.json:
        print(json.dumps(rows, indent=2))
    elif args.csv:
        writer = csv.DictWriter(
            sys.stdout, fieldnames=list(rows[0]) if rows else ["id"]
        )
        writer.writeheader()
        writer.writerows(rows)
    else:
        for r in rows:
            print(
                f"{r['id']}  {r['evse_uid']:<10} {r['status']:<9} {r['start']}  "
                f"{r['end'] or '-':<24} {r['kwh']:>9.3f} kWh  {r['token_uid'] or '-'}"
            )
        print(f"{len(rows)} session(s)")
    return 0


def cmd_sim(args: argparse.Namespace) -> int:
    """Run the simulated site with the controller."""
    from edge.sim_cli import run_sim

    try:
        config = _load(args.config)
    except ConfigError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        return EXIT_CONFIG
    return run_sim(config, args)


def cmd_run(args: argparse.Namespace) -> int:
    """Run the controller against real (or hal-sim served) hardware."""
    from edge.app import Site
    from edge.model.clock import ScaledClock, SystemClock
    from edge.store.db import Database

    try:
        config = _load(args.config)
    except ConfigError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        return EXIT_CONFIG
    clock = SystemClock() if args.speed == 1 else ScaledClock(args.speed)

    async def main() -> None:
        db = await Database.open(args.db or config.store.path)
        site = Site(config, clock, db)
        task = asyncio.create_task(site.run())
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        try:
            await task
        except asyncio.CancelledError:
            pass
        finally:
            await db.close()

    asyncio.run(main())
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    p = argparse.ArgumentParser(prog="edge", description="EV charging site controller")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the controller for a site file")
    run.add_argument("--config", required=True)
    run.add_argument("--db", help="database path (default: the site file's store.path)")
    run.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="site time per wall second (match hal-sim serve --speed)",
    )
    run.set_defaults(func=cmd_run)

    sim = sub.add_parser("sim", help="run a simulated site and the controller together")
    sim.add_argument("--config", default="config/demo.toml")
    sim.add_argument("--speed", type=float, default=60.0)
    sim.add_argument("--duration", type=parse_duration, default=parse_duration("4h"))
    sim.add_argument("--db", help="database path (default: a new file per run)")
    sim.add_argument("--truth", help="append the simulator's plug-in/unplug log here")
    sim.add_argument("--quiet", action="store_true", help="no live table")
    sim.set_defaults(func=cmd_sim)

    ses = sub.add_parser("sessions", help="list charging sessions")
    ses.add_argument("--db", required=True)
    ses.add_argument("--evse")
    ses.add_argument("--status", choices=["active", "completed", "invalid"])
    out = ses.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true")
    out.add_argument("--csv", action="store_true")
    ses.set_defaults(func=cmd_sessions)

    cfg = sub.add_parser("config", help="site file tools")
    cfg_sub = cfg.add_subparsers(dest="config_command", required=True)
    check = cfg_sub.add_parser("check", help="validate a site file")
    check.add_argument("file")
    check.set_defaults(func=cmd_config_check)

    prof = sub.add_parser("profiles", help="list device profiles")
    prof.add_argument("--json", action="store_true")
    prof.set_defaults(func=cmd_profiles)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``edge`` console script."""
    args = build_parser().parse_args(argv)
    setup_logging(args.verbose)
    try:
        return int(args.func(args))
    except ProfileError as exc:
        print(f"profile error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
