"""``edge run``: the controller for a site file, on real (or hal-sim) hardware."""

from __future__ import annotations

import argparse
import asyncio
import math
import signal
import sys
from pathlib import Path
from typing import Any

from edge import systemd
from edge.cli import ready_file
from edge.cli.common import EXIT_CONFIG, EXIT_RUNTIME
from edge.cli.config import check_site
from edge.cli.ocpi import add_uplink_flags, apply_uplink_flags


def dump_tasks() -> None:
    """On SIGUSR1: print every asyncio task and the await chain it waits in."""
    for task in asyncio.all_tasks():
        print(f"--- task {task.get_name()} {task!r:.160}", file=sys.stderr)
        coro: Any = task.get_coro()
        while coro is not None:
            frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
            if frame is not None:
                code = frame.f_code
                print(
                    f"    {code.co_filename}:{frame.f_lineno} {code.co_name}",
                    file=sys.stderr,
                )
            coro = getattr(coro, "cr_await", None) or getattr(
                coro, "gi_yieldfrom", None
            )
    sys.stderr.flush()


def speed_factor(text: str) -> float:
    """``--speed``: a finite number above 0."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"not a speed: {text!r} (a number above 0)")
    return value


def cmd_run(args: argparse.Namespace) -> int:
    """Run the controller until SIGINT or SIGTERM."""
    from edge.app import Site
    from edge.config.server_tls import TlsFileError
    from edge.config.wire_floors import wire_time_floors
    from edge.model.clock import Clock, ScaledClock, SystemClock
    from edge.ocpp.declared import OcppConfigError
    from edge.store.db import Database, StoreError
    from edge.uplink.ocpi.site_context import UplinkConfigError
    from edge.web.token import WebConfigError

    # The whole check first, the files it names included: a bad site file is a
    # report and exit 2, never a traceback, and no empty database is left behind.
    config = check_site(args.config, db=args.db, listen=True)
    config = None if config is None else apply_uplink_flags(config, args, False)
    if config is None:
        return EXIT_CONFIG
    clock: Clock
    if args.clock_file:
        try:
            clock = ScaledClock.from_anchor(Path(args.clock_file).read_text())
        except (OSError, ValueError, KeyError) as exc:
            print(f"cannot use clock file {args.clock_file}: {exc}", file=sys.stderr)
            return EXIT_CONFIG
    else:
        clock = SystemClock() if args.speed == 1 else ScaledClock(args.speed)
    if clock.speed != 1:  # a simulated site: the wall time `edge sim` gives devices
        config = wire_time_floors(config, clock)

    async def main() -> int:
        ready = Path(args.ready_file) if args.ready_file else None
        if ready is not None:
            ready_file.clear(ready)  # an earlier run's: not this one's readiness
        db = await Database.open(args.db or config.store.path)
        try:
            site = Site(config, clock, db)
        except (
            UplinkConfigError,
            OcppConfigError,
            TlsFileError,
            WebConfigError,
        ) as exc:
            print(f"{args.config}: {exc}", file=sys.stderr)
            await db.close()
            return EXIT_CONFIG
        task = asyncio.create_task(site.run())
        notifier = systemd.Notifier()  # READY=1 and the watchdog, under systemd
        notify = asyncio.create_task(
            systemd.supervise(site, lambda: not task.done(), clock, notifier)
        )
        announcer = None
        if ready is not None:
            announcer = asyncio.create_task(ready_file.announce(site, ready))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, task.cancel)
        loop.add_signal_handler(signal.SIGUSR1, dump_tasks)
        servers = (site.uplink, site.ocpp, site.web)
        reloads = [s.reload_tls for s in servers if s is not None]
        if reloads:  # a renewed TLS certificate, without a restart
            loop.add_signal_handler(signal.SIGHUP, lambda: [r() for r in reloads])
        try:
            await task
        except asyncio.CancelledError:
            pass
        finally:
            notify.cancel()
            notifier.send(STOPPING="1")
            if ready is not None and announcer is not None:
                announcer.cancel()
                ready_file.clear(ready)
            await db.close()
        return 0

    try:
        return asyncio.run(main())
    except StoreError as exc:
        print(exc, file=sys.stderr)
        return EXIT_RUNTIME


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``run``."""
    run = sub.add_parser("run", help="run the controller for a site file")
    run.add_argument("--config", required=True)
    run.add_argument("--db", help="database path (default: the site file's store.path)")
    run.add_argument(
        "--speed",
        type=speed_factor,
        default=1.0,
        help="site seconds per wall second (match hal-sim serve --speed)",
    )
    run.add_argument(
        "--clock-file",
        help="share site time with `hal-sim serve --clock-file` (simulated sites)",
    )
    ready_file.add_ready_flag(run)
    add_uplink_flags(run)
    run.set_defaults(func=cmd_run)
