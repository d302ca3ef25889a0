"""Turn a claimed outbox row into the request to send, rebuilt from the store.

This is where folding pays off: whatever happened to an object while it waited,
the request carries its current state. Per module (our outbox keys):

* ``tariffs:<id>``: PUT the configured tariff (DELETE one no longer configured).
* ``locations:<id>``: PUT the location with every EVSE and its current status.
* ``evse_status:<evse_uid>``: PATCH the EVSE's status (PUT of the EVSE if the
  receiver refuses the PATCH).
* ``sessions:<id>``: PUT until the receiver has the session, then PATCH (kwh,
  status, end); a refused PATCH falls back to a PUT of the whole session, as
  OCPI advises ("if a PATCH fails ... PUT"). Progress of an active session goes
  at most once per ``session_patch_interval_s``; the final state goes at once.
* ``cdrs:<session_id>``: POST the CDR (after the session's final update, by the
  outbox's ``after_key``).

Runs on the database thread; pure apart from its reads.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from edge.model.session import Session, SessionStatus
from edge.ocpi import ModuleID
from edge.ocpi.party import Party
from edge.store.db import StoreHandle
from edge.store.ocpi_state import ObjectState, object_state
from edge.store.outbox import OutboxItem, OutboxModule
from edge.store.sessions import get_session
from edge.uplink.ocpi.client import Method
from edge.uplink.ocpi.push import mapping as m
from edge.uplink.ocpi.push.objects import (
    BUILD_ERRORS,
    build_failure,
    current_location,
    evse_statuses,
    session_auth,
    session_cdr,
)

log = logging.getLogger(__name__)

PREREQUISITES: Mapping[str, tuple[str, ...]] = {
    OutboxModule.LOCATIONS: (OutboxModule.TARIFFS,),
    OutboxModule.EVSE_STATUS: (OutboxModule.LOCATIONS,),
    OutboxModule.SESSIONS: (OutboxModule.LOCATIONS,),
    OutboxModule.CDRS: (OutboxModule.LOCATIONS,),
}
"""A tariff before the location whose connectors name it; the location before
any EVSE status, session or CDR that refers to it."""

RECEIVER_MODULE: Mapping[OutboxModule, ModuleID] = {
    OutboxModule.TARIFFS: ModuleID.TARIFFS,
    OutboxModule.LOCATIONS: ModuleID.LOCATIONS,
    OutboxModule.EVSE_STATUS: ModuleID.LOCATIONS,
    OutboxModule.SESSIONS: ModuleID.SESSIONS,
    OutboxModule.CDRS: ModuleID.CDRS,
}
"""Our outbox module -> the peer's OCPI receiver module."""


@dataclass(frozen=True)
class PushRequest:
    """One HTTP request that delivers an object."""

    method: Method
    url: str
    body: object
    what: str
    creates: bool = False
    fallback: PushRequest | None = None
    duplicate_ok: bool = False
    """A "we already have it" answer counts as delivered (CDR POST)."""


@dataclass(frozen=True)
class Send:
    """Send ``request`` (and its fallback if the receiver refuses it)."""

    item: OutboxItem
    request: PushRequest


@dataclass(frozen=True)
class Defer:
    """Not yet: the row is due again at ``until`` (an active session's progress)."""

    item: OutboxItem
    until: datetime


@dataclass(frozen=True)
class Done:
    """Nothing to send (``why``); the row is acked."""

    item: OutboxItem
    why: str


@dataclass(frozen=True)
class Fail:
    """The object cannot be built (``why``); the row becomes a dead letter."""

    item: OutboxItem
    why: str


Plan = Send | Defer | Done | Fail
"""What to do with a claimed row."""


@dataclass(frozen=True)
class Target:
    """The receiver: its module URLs and its party (for the CDR token)."""

    urls: Mapping[str, str]
    peer: Party | None


class Planner:
    """Builds requests for claimed rows from the store and the site file."""

    def __init__(self, ctx: m.SiteContext, patch_interval_s: float) -> None:
        self.ctx = ctx
        self.patch_interval = timedelta(seconds=patch_interval_s)

    def _url(self, base: str, *parts: str) -> str:
        party = self.ctx.party
        tail = "/".join([party.country_code, party.party_id, *parts])
        return f"{base.rstrip('/')}/{tail}"

    def plan(
        self, db: StoreHandle, item: OutboxItem, target: Target, now: datetime
    ) -> Plan:
        """The plan for ``item``; never raises for a bad object (a Fail)."""
        try:
            module = OutboxModule(item.module)
        except ValueError:
            return Fail(item, f"unknown outbox module {item.module!r}")
        receiver = RECEIVER_MODULE[module]
        base = target.urls.get(receiver)
        if base is None:
            return Done(item, f"the receiver has no {receiver} endpoint")
        state = object_state(db.conn, item.key)
        try:
            return self._plan(db, module, item, target, base, state, now)
        except BUILD_ERRORS as exc:
            return Fail(item, build_failure(exc))

    def _plan(
        self,
        db: StoreHandle,
        module: OutboxModule,
        item: OutboxItem,
        target: Target,
        base: str,
        state: ObjectState,
        now: datetime,
    ) -> Plan:
        ctx, oid = self.ctx, item.object_id
        match module:
            case OutboxModule.TARIFFS:
                url = self._url(base, oid)
                if ctx.tariff is None or ctx.tariff.id != oid:
                    return Send(
                        item, PushRequest(Method.DELETE, url, None, f"tariff {oid}")
                    )
                body = ctx.tariff.model_dump_ocpi()
                return Send(
                    item, PushRequest(Method.PUT, url, body, f"tariff {oid}", True)
                )
            case OutboxModule.LOCATIONS:
                if oid != ctx.location_id:
                    return Done(item, f"location {oid} is no longer this site")
                body = current_location(db, ctx, now).model_dump_ocpi()
                url = self._url(base, oid)
                return Send(
                    item, PushRequest(Method.PUT, url, body, f"location {oid}", True)
                )
            case OutboxModule.EVSE_STATUS:
                return self._evse(db, item, base, oid)
            case OutboxModule.SESSIONS | OutboxModule.CDRS:
                session = get_session(db, oid)
                if session is None:
                    return Done(item, f"session {oid} is not in the store")
                if module is OutboxModule.CDRS:
                    cdr = session_cdr(db, ctx, session, target.peer).model_dump_ocpi()
                    what = f"CDR {oid}"
                    return Send(
                        item,
                        PushRequest(
                            Method.POST, base, cdr, what, True, duplicate_ok=True
                        ),
                    )
                auth = session_auth(db, ctx, session, target.peer)
                return self._session(item, base, state, session, auth, now)

    def _evse(self, db: StoreHandle, item: OutboxItem, base: str, uid: str) -> Plan:
        section = self.ctx.evses.get(uid)
        row = evse_statuses(db).get(uid)
        if section is None or row is None:
            return Done(item, f"EVSE {uid} is not in the site file")
        url = self._url(base, self.ctx.location_id, uid)
        location_key = OutboxModule.LOCATIONS.key(self.ctx.location_id)
        since = object_state(db.conn, location_key).last_updated or row.updated
        evse = m.evse(self.ctx, section, row, since)
        put = PushRequest(Method.PUT, url, evse.model_dump_ocpi(), f"EVSE {uid}", True)
        body = m.evse_status_patch(row, since)
        patch = PushRequest(Method.PATCH, url, body, f"EVSE {uid} status", fallback=put)
        return Send(item, patch)

    def _session(
        self,
        item: OutboxItem,
        base: str,
        state: ObjectState,
        s: Session,
        auth: m.SessionAuth,
        now: datetime,
    ) -> Plan:
        url = self._url(base, s.id)
        full = m.session(self.ctx, s, auth).model_dump_ocpi()
        put = PushRequest(Method.PUT, url, full, f"session {s.id}", True)
        if not state.created:
            return Send(item, put)
        if s.status is SessionStatus.ACTIVE and state.last_sent is not None:
            due = state.last_sent + self.patch_interval
            if now < due:
                return Defer(item, due)
        patch = PushRequest(
            Method.PATCH,
            url,
            m.session_patch(s),
            f"session {s.id} update",
            fallback=put,
        )
        return Send(item, patch)
