"""``edge doctor``: what on this box keeps the controller from working well.

Each check gives findings: a subject, a state (ok, warn, fix, skip), what was
seen and what to do. Exit 1 when any finding says fix. The checks of the box
(serial ports, FTDI latency timers, NTP, disk space and flash wear) are in
:mod:`edge.cli.doctor_host`; those of the database and the uplink (integrity,
TCP, TLS and certificate expiry) in :mod:`edge.cli.doctor_data`.

``--sysfs-root`` reads ``sys/`` and ``proc/`` under another directory (tests, or
a card mounted on a laptop).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from edge.cli.common import load_site
from edge.cli.doctor_data import commissioning_page, database, uplink
from edge.cli.doctor_findings import Finding, State
from edge.cli.doctor_host import (
    clock_sync,
    disk_and_wear,
    latency_timers,
    serial_ports,
)


def cmd_doctor(args: argparse.Namespace) -> int:
    """Run every check, print the table (or JSON); 1 when something needs fixing."""
    config = None
    if args.config:
        config = load_site(args.config)
        if config is None:
            return 1
    root = Path(args.sysfs_root)
    db = Path(args.db or (config.store.path if config else "/var/lib/edge/edge.db"))
    ocpi = None if config is None else config.ocpi
    url = None if ocpi is None else ocpi.versions_url
    findings = [
        *serial_ports(config, root, args.user),
        *latency_timers(root),
        *clock_sync(),
        *disk_and_wear(db, root),
        *database(db),
        *commissioning_page(db, config is None or config.web is not None),
        *uplink(url, args.cafile or (ocpi.tls_ca_file if ocpi else None), args.timeout),
    ]
    if args.json:
        print(json.dumps([asdict(f) for f in findings], indent=2))
    else:
        _table(findings)
    return 1 if any(f.state is State.FIX for f in findings) else 0


def _table(findings: list[Finding]) -> None:
    w_check = max(len(f.check) for f in findings)
    w_subject = min(max(len(f.subject) for f in findings), 40)
    for f in findings:
        head = f"{f.state.value.upper():5} {f.check:{w_check}} {f.subject:{w_subject}}"
        print(f"{head} {f.detail}")
        if f.fix:
            print(f"{'':5} {'':{w_check}} {'':{w_subject}} -> {f.fix}")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``doctor``."""
    p = sub.add_parser(
        "doctor", help="check serial ports, clock, disk, database, uplink"
    )
    p.add_argument(
        "--config", help="the site file (default: none; /etc/edge/site.toml on a site)"
    )
    p.add_argument("--db", help="database path (default: the site file's store.path)")
    p.add_argument("--user", default="edge", help="the service user (default: edge)")
    p.add_argument(
        "--sysfs-root", default="/", help="read sys/ and proc/ under this directory"
    )
    p.add_argument(
        "--cafile", help="CA certificates for the uplink check (default: tls_ca_file)"
    )
    p.add_argument(
        "--timeout", type=float, default=5.0, help="uplink connect timeout, s"
    )
    p.add_argument("--json", action="store_true", help="one JSON array of findings")
    p.set_defaults(func=cmd_doctor)
