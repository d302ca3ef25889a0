"""``edge sync``: what the uplink still has to deliver, and delivering it now.

* ``edge sync status [--json]``: backlog by module (queued, blocked behind another
  object, dead), the oldest item, the last error, every dead letter with the
  receiver's reason.
* ``edge sync now``: register if needed, drain the outbox with a progress line,
  exit 0 when nothing deliverable is left.
* ``edge sync retry [KEY]``: give dead letters another chance (after the cause
  was fixed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from edge.cli.common import EXIT_CONFIG, EXIT_RUNTIME, load_site
from edge.cli.ocpi import add_uplink_flags, apply_uplink_flags

if TYPE_CHECKING:
    from edge.store.db import StoreHandle
    from edge.store.outbox import OutboxStats


def _db_path(args: argparse.Namespace) -> str | None:
    if args.db:
        return str(args.db)
    if args.config:
        config = load_site(args.config)
        return None if config is None else config.store.path
    print("give --db PATH or --config FILE", file=sys.stderr)
    return None


def status_rows(st: OutboxStats) -> dict[str, object]:
    """The status as JSON-ready data."""
    return {
        "backlog": {
            m.module: {
                "queued": m.queued, "blocked": m.blocked, "dead": m.dead,
                "oldest": m.oldest,
            }
            for m in st.modules
        },
        "queued": st.live,
        "oldest": {"key": st.oldest_key, "created": st.oldest_created},
        "last_error": None if st.last_error is None else {
            "key": st.last_error[0], "error": st.last_error[1],
            "at": st.last_error[2],
        },
        "dead_letters": [
            {"key": d.key, "attempts": d.attempts, "reason": d.last_error}
            for d in st.dead_letters
        ],
    }  # fmt: skip


async def _stats(db_path: str) -> OutboxStats:
    from edge.store.db import Database
    from edge.store.outbox import stats
    from edge.uplink.ocpi.push import PREREQUISITES

    db = await Database.open(db_path)
    try:
        return await db.run(lambda d: stats(d.conn, PREREQUISITES))
    finally:
        await db.close()


def cmd_status(args: argparse.Namespace) -> int:
    """Print the backlog."""
    db_path = _db_path(args)
    if db_path is None:
        return EXIT_CONFIG
    if not Path(db_path).exists():
        print(f"no database at {db_path}", file=sys.stderr)
        return EXIT_RUNTIME
    st = asyncio.run(_stats(db_path))
    if args.json:
        print(json.dumps(status_rows(st), indent=2))
        return 0
    print(f"{'module':<12} {'queued':>7} {'blocked':>8} {'dead':>5}  oldest")
    for m in st.modules:
        print(f"{m.module:<12} {m.queued:>7} {m.blocked:>8} {m.dead:>5}  "
              f"{m.oldest or '-'}")  # fmt: skip
    print(f"{st.live} object(s) to deliver"
          + (f"; oldest {st.oldest_key} since {st.oldest_created}" if st.oldest_key
             else ""))  # fmt: skip
    if st.last_error is not None:
        key, error, at = st.last_error
        print(f"last error ({key}, {at}): {error}")
    for d in st.dead_letters:
        print(f"DEAD {d.key} after {d.attempts} attempt(s): {d.last_error}")
    return 0


def progress_line(
    done: int, total: int, dead: int, rate: float, width: int = 30
) -> str:
    """``[#####-----] 120/600 delivered, 2 dead, 35.1/s``."""
    filled = width if total <= 0 else min(width, round(width * done / total))
    bar = "#" * filled + "-" * (width - filled)
    return f"[{bar}] {done}/{total} delivered, {dead} dead, {rate:.1f}/s"


async def _now(args: argparse.Namespace) -> int:
    from edge.model.clock import SystemClock
    from edge.store.db import Database
    from edge.store.outbox import stats
    from edge.uplink.ocpi.push import PREREQUISITES
    from edge.uplink.ocpi.serve import serving
    from edge.uplink.ocpi.service import OcpiUplink
    from edge.uplink.ocpi.site_context import UplinkConfigError

    config = load_site(args.config)
    config = None if config is None else apply_uplink_flags(config, args, False)
    if config is None or config.ocpi is None:
        print("the site file has no [ocpi] section (or give --ocpi-* flags)",
              file=sys.stderr)  # fmt: skip
        return EXIT_CONFIG
    clock = SystemClock()
    db = await Database.open(args.db or config.store.path)
    try:
        uplink = OcpiUplink(config, clock, db)
    except UplinkConfigError as exc:
        await db.close()
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    section = config.ocpi
    tty = sys.stdout.isatty()

    async def live() -> int:
        return (await db.run(lambda d: stats(d.conn, PREREQUISITES))).live

    try:
        await uplink.queue_static()
        if uplink.creds is None or not uplink.creds.ready:
            async with serving(uplink.server.app, section.listen_host,
                               section.listen_port) as bound:  # fmt: skip
                uplink.server.public_url = section.public_url or bound.base_url
                async with asyncio.timeout(args.timeout):
                    await uplink.connect()
        if uplink.peer() is None:
            print("not registered: nothing can be sent", file=sys.stderr)
            return EXIT_RUNTIME
        total = await live()
        start = clock.monotonic()
        drain = asyncio.create_task(uplink.sender.drain(args.timeout))
        while not drain.done():
            await asyncio.wait({drain}, timeout=0.25)
            s = uplink.sender.stats
            rate = s.delivered / max(1e-6, clock.monotonic() - start)
            line = progress_line(s.delivered, total, s.dead, rate)
            print("\r" + line if tty else line, end="" if tty else "\n", flush=True)
        done = drain.result()
        left = await live()
        print(f"\n{uplink.sender.stats.delivered} delivered, {left} left, "
              f"{uplink.sender.stats.dead} dead letter(s)")  # fmt: skip
        return 0 if done and left == 0 else EXIT_RUNTIME
    finally:
        await uplink.aclose()
        await db.close()


def cmd_now(args: argparse.Namespace) -> int:
    """Drain the outbox now."""
    return asyncio.run(_now(args))


async def _retry(db_path: str, key: str | None) -> int:
    from edge.model.clock import SystemClock
    from edge.store.db import Database, transaction
    from edge.store.outbox import requeue_dead

    db = await Database.open(db_path)
    now = SystemClock().utcnow()

    def requeue(d: StoreHandle) -> int:
        with transaction(d) as conn:
            return requeue_dead(conn, now, key)

    try:
        return await db.run(requeue)
    finally:
        await db.close()


def cmd_retry(args: argparse.Namespace) -> int:
    """Requeue dead letters."""
    db_path = _db_path(args)
    if db_path is None:
        return EXIT_CONFIG
    count = asyncio.run(_retry(db_path, args.key))
    print(f"{count} dead letter(s) queued again")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``sync status|now|retry``."""
    sync = sub.add_parser("sync", help="the OCPI uplink's backlog")
    sync_sub = sync.add_subparsers(dest="sync_command", required=True)
    status = sync_sub.add_parser("status", help="backlog, last error, dead letters")
    status.add_argument("--config")
    status.add_argument("--db", help="database path (default: the site's store.path)")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_status)
    now = sync_sub.add_parser("now", help="deliver the backlog now")
    now.add_argument("--config", required=True)
    now.add_argument("--db", help="database path (default: the site's store.path)")
    now.add_argument("--timeout", type=float, default=600.0, help="seconds")
    add_uplink_flags(now)
    now.set_defaults(func=cmd_now)
    retry = sync_sub.add_parser("retry", help="requeue dead letters")
    retry.add_argument("key", nargs="?", help="one outbox key (default: all)")
    retry.add_argument("--config")
    retry.add_argument("--db")
    retry.set_defaults(func=cmd_retry)
