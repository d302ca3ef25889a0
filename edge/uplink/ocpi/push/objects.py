"""Our OCPI objects as built from the store: one place for the push and the GETs.

A location with its EVSEs' current status, a session's token and authorization
reference, an ended session's CDR: the planner pushes them and our Sender
interfaces serve them, so a backoffice that pulls gets what a push would carry.
Functions run on the database thread.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import ValidationError

from edge.model.session import Session
from edge.ocpi import CDR, Location, describe_validation_error
from edge.ocpi.party import Party
from edge.store.db import StoreHandle
from edge.store.evse_status import evse_statuses as stored_evse_statuses
from edge.store.ocpi_state import object_state
from edge.store.outbox import OutboxModule
from edge.store.sessions import SessionExtras, periods, session_extras
from edge.store.tokens import issuer as cached_issuer
from edge.tariff import TariffError
from edge.uplink.ocpi.push import mapping as m
from edge.uplink.ocpi.push import mapping_cdr


def evse_statuses(db: StoreHandle) -> dict[str, m.EvseStatusRow]:
    """Every EVSE's last stored status."""
    return {
        uid: m.EvseStatusRow(status, updated)
        for uid, (status, updated) in stored_evse_statuses(db).items()
    }


def token_issuer(
    db: StoreHandle,
    s: Session,
    peer: Party | None,
    extras: SessionExtras | None = None,
) -> m.TokenRef | None:
    """The eMSP of the session's token.

    The one the session recorded (a command's token, a real-time authorization),
    else the token cache's, else the peer.
    """
    if extras and extras.token_country_code and extras.token_party_id:
        return m.TokenRef(extras.token_country_code, extras.token_party_id)
    if s.token_uid is not None:
        found = cached_issuer(db, s.token_uid, s.token_type or "RFID")
        if found is not None:
            return m.TokenRef(*found)
    return m.TokenRef(peer.country_code, peer.party_id) if peer else None


def current_location(db: StoreHandle, ctx: m.SiteContext, now: datetime) -> Location:
    """The site's Location as pushed, with the EVSE statuses from the store.

    Its ``last_updated`` is no older than the site-file version that was queued.
    """
    state = object_state(db.conn, OutboxModule.LOCATIONS.key(ctx.location_id))
    return m.location(ctx, evse_statuses(db), state.last_updated or now)


BUILD_ERRORS = (ValidationError, m.MappingError, TariffError)
"""Why an object cannot be built from the store (see :func:`build_failure`)."""


def build_failure(exc: Exception) -> str:
    """What is wrong with an object that could not be built, in one line."""
    if isinstance(exc, ValidationError):
        detail = describe_validation_error(exc).replace("\n", "; ")
        return f"not a valid OCPI object: {detail}"
    return str(exc)


def session_cdr(
    db: StoreHandle, ctx: m.SiteContext, s: Session, peer: Party | None
) -> CDR:
    """The CDR of an ended session, as pushed and as served (raises BUILD_ERRORS)."""
    return mapping_cdr.cdr(ctx, s, session_auth(db, ctx, s, peer), periods(db, s.id))


def session_auth(
    db: StoreHandle, ctx: m.SiteContext, s: Session, peer: Party | None
) -> m.SessionAuth:
    """The token and authorization reference of a session's Session and CDR.

    The one place both the push and the Sender GETs take them from: the token's
    issuer is the session's own record, else the token cache's, else ``peer``.
    """
    extras = session_extras(db, s.id)
    token = m.cdr_token(ctx, s, token_issuer(db, s, peer, extras))
    return m.SessionAuth(token, extras.authorization_reference)
