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

from edge.ocpi import Location
from edge.ocpi.common import JsonObject
from edge.ocpi.party import Party
from edge.store.db import StoreHandle
from edge.store.session_pages import completed_sessions, updated_sessions
from edge.store.sessions import get_session
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


def location(db: StoreHandle, ctx: m.SiteContext, now: datetime) -> Location:
    """The site's one Location, current."""
    return current_location(db, ctx, now)


def sessions(
    db: StoreHandle, ctx: m.SiteContext, peer: Party | None, q: PageQuery
) -> Page:
    """A page of Sessions whose ``last_updated`` is in the window."""
    ids, total = updated_sessions(db, q.date_from, q.date_to, q.limit, q.offset)
    out: list[JsonObject] = []
    for sid in ids:
        s = get_session(db, sid)
        if s is None:
            continue
        auth = session_auth(db, ctx, s, peer)
        out.append(m.session(ctx, s, auth).model_dump_ocpi())
    return Page(out, total)


def cdrs(db: StoreHandle, ctx: m.SiteContext, peer: Party | None, q: PageQuery) -> Page:
    """A page of CDRs (of COMPLETED sessions) whose ``last_updated`` is in the window.

    A CDR that cannot be built (its EVSE left the site file, the tariff fails) is
    left out of the page and logged; the push side dead-letters the same CDR.
    """
    ids, total = completed_sessions(db, q.date_from, q.date_to, q.limit, q.offset)
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


def locations(db: StoreHandle, ctx: m.SiteContext, q: PageQuery, now: datetime) -> Page:
    """The site's Location, if it is in the window."""
    loc = location(db, ctx, now)
    found = [loc] if q.matches(loc.last_updated) else []
    return Page([x.model_dump_ocpi() for x in found[q.offset :][: q.limit]], len(found))
