"""Presentation for ``edge sim``: a live status table and a closing summary."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from edge.app import Site
from edge.config.schema import SiteConfig
from edge.load.report import circuit_rows, setpoint_text
from edge.model.clock import ScaledClock
from edge.simulate import SimResult, SimStartError, UplinkOutcome, simulate

EXIT_BACKLOG = 1
"""Exit status of a run whose uplink could not deliver everything."""
EXIT_NOT_READY = 3
"""Exit status of a run whose controller never became READY (nothing simulated)."""


def live_view(site: Site, clock: ScaledClock) -> Group | Table:
    """The EVSE table and, with load management, the circuit table."""
    table = status_table(site, clock)
    load = load_table(site)
    return table if load is None else Group(table, load)


def load_table(site: Site) -> Table | None:
    """Each circuit's per-phase load (house + setpoints) against its limit."""
    if site.load is None:
        return None
    table = Table(title="circuits: load / limit (A)")
    for col in ("circuit", "L1", "L2", "L3", "meter"):
        table.add_column(col)
    for row in circuit_rows(site.load.site, site.load.allocation):
        table.add_row(row.id, *row.phases, "SILENT: failsafe" if row.failsafe else "")
    return table


def _allocated(site: Site, uid: str) -> str:
    """The EVSE's setpoint from load management ('' without it)."""
    if site.load is None:
        return ""
    allocation = site.load.allocation
    return setpoint_text(allocation.setpoints.get(uid) if allocation else None)


def status_table(site: Site, clock: ScaledClock) -> Table:
    """EVSE, phase, status, power, session kWh, token and allocated current."""
    table = Table(
        title=f"site time {clock.utcnow():%Y-%m-%d %H:%M:%S} UTC  (x{clock.speed:g})"
    )
    cols = ["EVSE", "state", "OCPI status", "power kW", "session kWh", "token"]
    if site.load is not None:
        cols.append("allocated")
    for col in cols:
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
            *([_allocated(site, uid)] if site.load is not None else []),
        )
    for uid, port in site.evses.items():  # the OCPP chargers' connectors
        if uid in site.controllers:
            continue
        v = port.view()
        session = v.session
        table.add_row(
            uid,
            v.phase.value,
            v.status.value,
            "-" if v.draw is None else f"{v.draw.power_w / 1000:.1f}",
            ""
            if session is None or session.energy_wh is None
            else f"{session.energy_wh / 1000:.3f}",
            (session.token_uid or "-") if session else "-",
            *([_allocated(site, uid)] if site.load is not None else []),
        )
    return table


def run_sim(config: SiteConfig, args: argparse.Namespace) -> int:
    """Run ``edge sim`` and print its summary (one JSON object with ``--json``).

    Exit 0 when the run completed and its uplink, if any, delivered everything.
    """
    db_path = (
        Path(args.db)
        if args.db
        else Path(".run", f"sim-{datetime.now(UTC):%Y%m%dT%H%M%S}.db")
    )
    console = Console(stderr=False)
    live_enabled = not (args.quiet or args.json) and sys.stdout.isatty()
    live = Live(console=console, auto_refresh=False) if live_enabled else None

    meters: dict[str, dict[str, object]] = {}

    def on_tick(site: Site, clock: ScaledClock) -> None:
        meters.update(meter_figures(site))
        if live is not None:
            live.update(live_view(site, clock), refresh=True)

    truth = Path(args.truth) if args.truth else None
    if live is not None:
        live.start()
    try:
        result = asyncio.run(
            simulate(
                config, db_path, args.speed, args.duration, on_tick, truth_path=truth
            )
        )
    except SimStartError as exc:
        print(f"edge sim: {exc}", file=sys.stderr)
        return EXIT_NOT_READY
    finally:
        if live is not None:
            live.stop()
    figures = run_figures(result, args.speed, db_path)
    figures["meters"] = meters
    if args.json:
        print(json.dumps(figures))
    else:
        print(
            f"simulated {args.duration / 3600:g} h of site time at x{args.speed:g}: "
            f"{figures['plug_ins']} plug-ins, {figures['departures']} departures, "
            f"EVs took {float(str(figures['energy_wh'])) / 1000:.3f} kWh"
        )
        print(f"database: {db_path}  (edge sessions --db {db_path})")
        for line in meter_lines(meters):
            print(line)
        if result.outcome is not None:
            for line in uplink_lines(result.outcome):
                print(line)
    if result.outcome is not None and result.outcome.left:
        return EXIT_BACKLOG
    return 0


def run_figures(result: SimResult, speed: float, db_path: Path) -> dict[str, object]:
    """The run's closing figures as JSON-ready data (``uplink`` None without one)."""
    unplugs = [t for t in result.truth if t["event"] == "unplug"]
    return {
        "duration_s": result.duration_s,
        "speed": speed,
        "plug_ins": sum(1 for t in result.truth if t["event"] == "plug_in"),
        "departures": len(unplugs),
        "energy_wh": sum(float(str(t["energy_wh"])) for t in unplugs),
        "database": str(db_path),
        "uplink": result.uplink,
    }


def meter_figures(site: Site) -> dict[str, dict[str, object]]:
    """Per EVSE: meter readings not believed, by reason, and meter resets."""
    return {
        uid: {"rejected": ctl.meter_rejections, "resets": ctl.meter_resets}
        for uid, ctl in site.controllers.items()
    }


def meter_lines(meters: dict[str, dict[str, object]]) -> list[str]:
    """One line per EVSE whose meter readings were not all believed."""
    lines = []
    for uid, m in meters.items():
        rejected = m["rejected"]
        counts = (
            ", ".join(f"{n} {reason}" for reason, n in sorted(dict(rejected).items()))
            if isinstance(rejected, dict)
            else ""
        )
        if counts or m["resets"]:
            lines.append(
                f"meter {uid}: readings not believed: {counts or 'none'}; "
                f"meter resets: {m['resets']}"
            )
    return lines


def uplink_lines(outcome: UplinkOutcome) -> list[str]:
    """A short account of the uplink: delivered, left, given up."""
    delivered = ", ".join(f"{n} {m}" for m, n in outcome.delivered.items())
    lines = [
        f"uplink: delivered {delivered or '(eMSP counts unknown)'}; "
        f"{outcome.acknowledged} write(s) acknowledged"
    ]
    if outcome.left:
        left = ", ".join(f"{n} {m}" for m, n in sorted(outcome.backlog.items()))
        lines.append(f"uplink: backlog NOT empty: {outcome.left} left ({left})")
    else:
        lines.append("uplink: backlog empty")
    lines.append(f"uplink: {len(outcome.dead_letters)} dead letter(s)")
    lines += [f"  DEAD {key}" for key in outcome.dead_letters]
    return lines
