"""``edge sessions``: list, filter and export charging sessions.

Filters: ``--evse``, ``--status``, ``--token`` (case-insensitive) and a window
on the session start, ``--since`` (inclusive) and ``--until`` (exclusive), each an
ISO 8601 date or date and time, UTC unless an offset is given; a bare date for
``--until`` includes that whole day. Output: a table, ``--json``, or ``--csv``;
``--out FILE`` writes the JSON or CSV (the default) to a file instead of stdout.
Times are ISO 8601 UTC, energy in kWh (and Wh).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TextIO

from edge.cli.common import EXIT_CONFIG, EXIT_RUNTIME
from edge.model.session import SessionStatus


def parse_moment(text: str, *, end_of_day: bool = False) -> datetime:
    """An ISO date or date-time as an aware UTC datetime (naive means UTC).

    A bare date is its midnight, or with ``end_of_day`` the next midnight.
    """
    text = text.strip()
    if "T" not in text and " " not in text:
        day = date.fromisoformat(text)
        if end_of_day:
            day += timedelta(days=1)
        return datetime.combine(day, time(), tzinfo=UTC)
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


async def _sessions(
    db_path: str,
    evse: str | None,
    status: SessionStatus | None,
    since: datetime | None,
    until: datetime | None,
) -> list[dict[str, object]]:
    from edge.store import sessions as repo
    from edge.store.db import Database
    from edge.store.export import session_rows

    flt = repo.SessionFilter(evse_uid=evse, status=status, since=since, until=until)
    db = await Database.open(db_path)
    try:
        found = await db.run(lambda d: repo.list_sessions(d, flt))
    finally:
        await db.close()
    return session_rows(found)


def _write(rows: list[dict[str, object]], fmt: str, out: TextIO) -> None:
    if fmt == "json":
        out.write(json.dumps(rows, indent=2) + "\n")
        return
    from edge.store.export import write_csv

    write_csv(rows, out)


def _table(rows: list[dict[str, object]]) -> None:
    for r in rows:
        print(
            f"{r['id']}  {r['evse_uid']:<10} {r['status']:<9} {r['start']}  "
            f"{r['end'] or '-':<24} {r['kwh']:>9.3f} kWh  {r['token_uid'] or '-'}"
        )
    print(f"{len(rows)} session(s)")


def cmd_sessions(args: argparse.Namespace) -> int:
    """List sessions from the database."""
    try:
        since = parse_moment(args.since) if args.since else None
        until = parse_moment(args.until, end_of_day=True) if args.until else None
    except ValueError as exc:
        print(
            f"--since/--until: {exc} (give e.g. 2026-03-02 or 2026-03-02T08:00Z)",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    if since and until and since >= until:
        print("--since must be before --until", file=sys.stderr)
        return EXIT_CONFIG
    if not Path(args.db).is_file():
        print(f"no database at {args.db} (give --db PATH)", file=sys.stderr)
        return EXIT_RUNTIME
    status = SessionStatus(args.status.upper()) if args.status else None
    rows = asyncio.run(_sessions(args.db, args.evse, status, since, until))
    if args.token:
        wanted = args.token.upper()
        rows = [r for r in rows if str(r["token_uid"] or "").upper() == wanted]
    fmt = "json" if args.json else "csv" if (args.csv or args.out) else "table"
    if fmt == "table":
        _table(rows)
    elif args.out:
        try:
            with open(args.out, "w", encoding="utf-8", newline="") as out:
                _write(rows, fmt, out)
        except OSError as exc:
            print(f"cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_RUNTIME
        print(f"wrote {len(rows)} session(s) to {args.out}")
    else:
        _write(rows, fmt, sys.stdout)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``sessions``."""
    ses = sub.add_parser("sessions", help="list, filter and export charging sessions")
    ses.add_argument("--db", required=True)
    ses.add_argument("--evse", help="only this EVSE uid")
    ses.add_argument("--status", choices=["active", "completed", "invalid"])
    ses.add_argument("--token", help="only sessions of this token uid")
    ses.add_argument("--since", help="started at or after (ISO date or date-time)")
    ses.add_argument("--until", help="started before (a bare date: through that day)")
    out = ses.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true")
    out.add_argument("--csv", action="store_true")
    ses.add_argument("--out", metavar="FILE", help="write CSV (or --json) to FILE")
    ses.set_defaults(func=cmd_sessions)
