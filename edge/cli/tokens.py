"""``edge tokens``: list, add, block, unblock and import the site's tokens.

Changes are written to the database; a running ``edge run`` picks them up within
``[auth] cache_refresh_s``. Exit codes: 0 done, 1 no database, 2 bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from edge.auth.local_tokens import LocalToken, add_local_token
from edge.auth.token_csv import TokenCsvError, parse_tokens_csv
from edge.cli.common import EXIT_CONFIG, EXIT_RUNTIME
from edge.model.clock import SystemClock
from edge.model.tokens import CachedToken
from edge.ocpi import (
    describe_validation_error,
    format_ocpi_datetime,
)
from edge.ocpi.enums import TokenType, WhitelistType
from edge.store import tokens as repo
from edge.store.db import Database, StoreError

T = TypeVar("T")
DEFAULT_OWNER = ("NL", "EXA")
"""The site file's defaults for [site] country_code and party_id."""


def _run(path: str, fn: Callable[[Any], T]) -> T:
    async def go() -> T:
        db = await Database.open(path)
        try:
            return await db.run(fn)
        finally:
            await db.close()

    return asyncio.run(go())


def _row(t: CachedToken, blocked: set[str]) -> dict[str, object]:
    return {
        "country_code": t.country_code,
        "party_id": t.party_id,
        "uid": t.uid,
        "type": t.type.value,
        "contract_id": t.contract_id,
        "visual_number": t.visual_number,
        "issuer": t.issuer,
        "group_id": t.group_id,
        "valid": t.valid,
        "whitelist": t.whitelist.value,
        "language": t.language,
        "last_updated": format_ocpi_datetime(t.last_updated),
        "source": t.source.value,
        "blocked": t.uid.upper() in blocked,
    }


def cmd_list(args: argparse.Namespace) -> int:
    """Print every cached token (and cards blocked but never seen)."""
    snap = _run(args.db, repo.snapshot)
    rows = [_row(t, snap.blocked) for t in snap.tokens]
    rows.sort(key=lambda r: str(r["uid"]).upper())
    cached = {str(r["uid"]).upper() for r in rows}
    unseen = sorted(snap.blocked - cached)
    if args.json:
        rows += [
            dict.fromkeys(rows[0] if rows else ["uid"]) | {"uid": u, "blocked": True}
            for u in unseen
        ]
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        state = "BLOCKED" if r["blocked"] else ("valid" if r["valid"] else "INVALID")
        print(
            f"{r['uid']:<20} {r['type']:<11} {r['whitelist']:<15} {state:<8} "
            f"group={r['group_id'] or '-'} contract={r['contract_id']} "
            f"{r['country_code']}*{r['party_id']} ({r['source']}) {r['last_updated']}"
        )
    for uid in unseen:
        print(f"{uid:<20} (not cached)  BLOCKED")
    print(f"{len(rows)} token(s), {len(snap.blocked)} blocked")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    """Add a local token, or replace the local one with this uid."""
    now = SystemClock().utcnow()

    token = LocalToken(
        uid=args.uid,
        type=args.type,
        contract_id=args.contract,
        visual_number=args.visual,
        issuer=args.issuer,
        group_id=args.group,
        valid=not args.invalid,
        whitelist=args.whitelist,
        language=args.language,
        country_code=args.country_code,
        party_id=args.party_id,
    )

    def add(db: Any) -> CachedToken:
        return add_local_token(db, token, now, DEFAULT_OWNER)

    try:
        row = _run(args.db, add)
    except ValidationError as exc:
        print(describe_validation_error(exc, root="token"), file=sys.stderr)
        return EXIT_CONFIG
    print(
        f"added {row.uid} ({row.type.value}, {row.whitelist.value}, "
        f"group={row.group_id or '-'}, contract={row.contract_id})"
    )
    return 0


def _set_blocked(args: argparse.Namespace, blocked: bool) -> int:
    now = SystemClock().utcnow()

    def change(db: Any) -> tuple[bool, int]:
        changed = repo.set_blocked(db, args.uid, blocked, now)
        return changed, len(repo.find(db, args.uid))

    changed, known = _run(args.db, change)
    verb = "blocked" if blocked else "unblocked"
    if not changed:
        print(f"{args.uid} was already {verb}")
    else:
        print(f"{verb} {args.uid}" + ("" if known else " (not in the token cache)"))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Import a CSV file in one transaction: all of it or nothing."""
    try:
        text = Path(args.file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    now = SystemClock().utcnow()

    def load(db: Any) -> repo.UpsertResult:
        owner = repo.local_owner(db) or DEFAULT_OWNER
        tokens = parse_tokens_csv(text, name=args.file, owner=owner, now=now)
        return repo.upsert_tokens(db, tokens)

    try:
        result = _run(args.db, load)
    except TokenCsvError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"nothing imported from {args.file}", file=sys.stderr)
        return EXIT_CONFIG
    print(
        f"imported {result.applied} token(s) from {args.file}"
        + (
            f"; {result.skipped} older than the cached copy, kept"
            if result.skipped
            else ""
        )
    )
    return 0


def cmd_tokens(args: argparse.Namespace) -> int:
    """Dispatch ``edge tokens ACTION``."""
    if not args.db:
        print("give --db PATH", file=sys.stderr)
        return EXIT_CONFIG
    if args.action in ("list", "block", "unblock") and not Path(args.db).exists():
        print(f"no database at {args.db}", file=sys.stderr)
        return EXIT_RUNTIME
    try:
        if args.action == "block":
            return _set_blocked(args, True)
        if args.action == "unblock":
            return _set_blocked(args, False)
        return int(args.action_func(args))
    except StoreError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_RUNTIME


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``tokens`` and its actions."""
    tok = sub.add_parser("tokens", help="manage the token cache (local list)")
    tok.add_argument("--db", help="the controller's SQLite file")
    tok.set_defaults(func=cmd_tokens)
    actions = tok.add_subparsers(dest="action", required=True)
    db_too = argparse.ArgumentParser(add_help=False)
    db_too.add_argument("--db", default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    ls = actions.add_parser("list", parents=[db_too], help="list cached tokens")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(action_func=cmd_list)

    add = actions.add_parser("add", parents=[db_too], help="add or replace a token")
    add.add_argument("uid")
    add.add_argument("--type", default="RFID", choices=[t.value for t in TokenType])
    add.add_argument("--group", help="group_id: cards of a group stop each other")
    add.add_argument("--contract", help="contract_id (default: the uid)")
    add.add_argument("--visual", help="visual_number printed on the card")
    add.add_argument("--issuer", default="Local")
    add.add_argument("--language", help="ISO 639-1 code")
    add.add_argument(
        "--whitelist", default="ALWAYS", choices=[w.value for w in WhitelistType]
    )
    add.add_argument("--invalid", action="store_true", help="store it as not valid")
    add.add_argument("--country-code", help="issuer's country (default: the site's)")
    add.add_argument("--party-id", help="issuer's party id (default: the site's)")
    add.set_defaults(action_func=cmd_add)

    for name, text in (("block", "refuse a card at this site"), ("unblock", "undo")):
        act = actions.add_parser(name, parents=[db_too], help=text)
        act.add_argument("uid")

    imp = actions.add_parser("import", parents=[db_too], help="import a CSV file")
    imp.add_argument("file", help="CSV whose header names OCPI Token fields")
    imp.set_defaults(action_func=cmd_import)
