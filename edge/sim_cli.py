"""Presentation for ``edge sim``: a live status table and a closing summary."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.live import Live
from rich.table import Table

from edge.app import Site
from edge.config.schema import SiteConfig
from edge.model.clock import ScaledClock
from edge.simulate import simulate


def status_table(site: Site, clock: ScaledClock) -> Table:
    """EVSE, phase, status, power, session kWh and token, at site time."""
    table = Table(
        title=f"site time {clock.utcnow():%Y-%m-%d %H:%M:%S} UTC  (x{clock.speed:g})"
    )
    for col in ("EVSE", "state", "OCPI status", "power kW", "session kWh", "token"):
        table.add_column(col)
    for uid, ctl in site.controllers.items():
        s = ctl.state
        kwh = ""
        if s.session is not None and s.meter_wh is not None:
            kwh = f"{(s.meter_wh - s.session.meter_start_wh) / 1000:.3f}"
        table.add_row(
            uid,
            s.phase.value,
            s.status.value if s.status else "-",
            f"{ctl.power_w / 1000:.1f}",
            kwh,
            (s.session.token_uid or "-") if s.session else "-",
        )
    return table


def run_sim(config: SiteConfig, args: argparse.Namespace) -> int:
    """Run ``edge sim`` and print its summary; exit 0 when the run completed."""
    db_path = (
        Path(args.db)
        if args.db
        else Path(".run", f"sim-{datetime.now(UTC):%Y%m%dT%H%M%S}.db")
    )
    console = Console(stderr=False)
    live_enabled = not args.quiet and sys.stdout.isatty()
    live = Live(console=console, auto_refresh=False) if live_enabled else None

    def on_tick(site: Site, clock: ScaledClock) -> None:
        if live is not None:
            live.update(status_table(site, clock), refresh=True)

    truth = Path(args.truth) if args.truth else None
    if live is not None:
        live.start()
    try:
        result = asyncio.run(
            simulate(
                config, db_path, args.speed, args.duration, on_tick, truth_path=truth
            )
        )
    finally:
        if live is not None:
            live.stop()
    unplugs = [t for t in result.truth if t["event"] == "unplug"]
    taken = sum(float(str(t["energy_wh"])) for t in unplugs)
    print(
        f"simulated {args.duration / 3600:g} h of site time at x{args.speed:g}: "
        f"{sum(1 for t in result.truth if t['event'] == 'plug_in')} plug-ins, "
        f"{len(unplugs)} departures, EVs took {taken / 1000:.3f} kWh"
    )
    print(f"database: {db_path}  (edge sessions --db {db_path})")
    return 0
