"""``edge sessions``: list, filter and export charging sessions."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
from pathlib import Path

from edge.commands.common import EXIT_RUNTIME


async def _sessions(db_path: str) -> list[dict[str, object]]:
    from edge.store import sessions as repo
    from edge.store.db import Database
    from edge.store.export import session_rows

    db = await Database.open(db_path)
    try:
        found = await db.run(repo.list_sessions)
    finally:
        await db.close()
    return session_rows(found)


def cmd_sessions(args: argparse.Namespace) -> int:
    """List sessions from the database."""
    if not Path(args.db).exists():
        print(f"no database at {args.db} (give --db PATH)", file=sys.stderr)
        return EXIT_RUNTIME
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


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``sessions``."""
    ses = sub.add_parser("sessions", help="list charging sessions")
    ses.add_argument("--db", required=True)
    ses.add_argument("--evse")
    ses.add_argument("--status", choices=["active", "completed", "invalid"])
    out = ses.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true")
    out.add_argument("--csv", action="store_true")
    ses.set_defaults(func=cmd_sessions)
