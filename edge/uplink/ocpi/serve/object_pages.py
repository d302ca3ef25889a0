"""Pages of our objects for the Sender interfaces, read from the store.

Each object is built exactly as the push side builds it (the planner's
:func:`~edge.uplink.ocpi.push.planner.current_location` and
:func:`~edge.uplink.ocpi.push.planner.session_auth`, then :mod:`.mapping` and
:mod:`.mapping_cdr`), so a backoffice that pulls gets what a push would carry.
Order is oldest first by creation (sessions by start, CDRs by session end), so
pages stay stable while new objects arrive. A CDR exists for every COMPLETED
session (its ``last_updated`` is the session's end). Functions run on the
database thread.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlite_utils

from edge.ocpi import Location
from edge.ocpi.common import JsonObject
from edge.ocpi.party import Party
from edge.store.sessions import get_session
from edge.store.timefmt import iso
from edge.uplink.ocpi.push import (
    BUILD_ERRORS,
    build_failure,
    current_location,
    session_auth,
    session_cdr,
)
from edge.uplink.ocpi.push import mapping as m
from edge.uplink.ocpi.serve.pagination import PageQuery

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Page:
    """Objects of one page (wire form) and how many match the dates in all."""

    objects: list[JsonObject]
    total: int


def location(db: sqlite_utils.Database, ctx: m.SiteContext, now: datetime) -> Location:
    """The site's one Location, current."""
    return current_location(db.conn, ctx, now)


def _window(column: str, q: PageQuery) -> tuple[str, list[object]]:
    where: list[str] = []
    args: list[object] = []
    if q.date_from is not None:
        where.append(f"{column} >= ?")
        args.append(iso(q.date_from))
    if q.date_to is not None:
        where.append(f"{column} < ?")
        args.append(iso(q.date_to))
    return (" AND ".join(where) or "1"), args


def _ids(
    db: sqlite_utils.Database, where: str, args: list[object], order: str, q: PageQuery
) -> tuple[list[str], int]:
    (total,) = db.conn.execute(
        f"SELECT COUNT(*) FROM sessions WHERE {where}",  # noqa: S608 - fixed text
        args,
    ).fetchone()
    rows = db.conn.execute(
        f"SELECT id FROM sessions WHERE {where} ORDER BY {order} "  # noqa: S608
        "LIMIT ? OFFSET ?",
        [*args, q.limit, q.offset],
    ).fetchall()
    return [str(r[0]) for r in rows], int(total)


def sessions(
    db: sqlite_utils.Database, ctx: m.SiteContext, peer: Party | None, q: PageQuery
) -> Page:
    """A page of Sessions whose ``last_updated`` is in the window."""
    where, args = _window("last_updated", q)
    ids, total = _ids(db, where, args, "start, id", q)
    out: list[JsonObject] = []
    for sid in ids:
        s = get_session(db, sid)
        if s is None:
            continue
        auth = session_auth(db, ctx, s, peer)
        out.append(m.session(ctx, s, auth).model_dump_ocpi())
    return Page(out, total)


def cdrs(
    db: sqlite_utils.Database, ctx: m.SiteContext, peer: Party | None, q: PageQuery
) -> Page:
    """A page of CDRs (of COMPLETED sessions) whose ``last_updated`` is in the window.

    A CDR that cannot be built (its EVSE left the site file, the tariff fails) is
    left out of the page and logged; the push side dead-letters the same CDR.
    """
    where, args = _window("end", q)
    where = f"status = 'COMPLETED' AND end IS NOT NULL AND {where}"
    ids, total = _ids(db, where, args, "end, id", q)
    out: list[JsonObject] = []
    for sid in ids:
        s = get_session(db, sid)
        if s is None:
            continue
        try:
            cdr = session_cdr(db, ctx, s, peer)
        except BUILD_ERRORS as exc:
            log.warning("CDR %s left out of a page: %s", sid, build_failure(exc))
            continue
        out.append(cdr.model_dump_ocpi())
    return Page(out, total)


def tariffs(ctx: m.SiteContext, q: PageQuery) -> Page:
    """The configured tariff, if it is in the window."""
    found = [t for t in (ctx.tariff,) if t is not None and q.matches(t.last_updated)]
    return Page([t.model_dump_ocpi() for t in found[q.offset :][: q.limit]], len(found))


def locations(
    db: sqlite_utils.Database, ctx: m.SiteContext, q: PageQuery, now: datetime
) -> Page:
    """The site's Location, if it is in the window."""
    loc = location(db, ctx, now)
    found = [loc] if q.matches(loc.last_updated) else []
    return Page([x.model_dump_ocpi() for x in found[q.offset :][: q.limit]], len(found))
