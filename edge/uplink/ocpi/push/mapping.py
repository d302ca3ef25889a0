"""Domain to OCPI 2.2.1, as pure functions (no IO, no clock).

Choices where the site file says nothing:

* An EVSE is a board EVSE (``[[evse]]``) or a connector of an OCPP charger
  (``[[ocpp.charger]]``): :data:`DeclaredEvse`. The latter has the RFID_READER
  capability (a charger asks us about its cards by Authorize).
* One connector per EVSE, id ``"1"``: a Type 2 socket (``IEC_62196_T2``,
  ``SOCKET``), AC with the EVSE's phases, ``max_voltage`` the line-to-neutral
  voltage, ``max_amperage`` the EVSE's current limit, ``max_electric_power``
  V * A * phases.
* CDRs: see :mod:`edge.uplink.ocpi.push.mapping_cdr`.
* Strings longer than OCPI allows (a CDR's address is 45 characters) are cut.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from edge.config.ocpp import OcppConnector
from edge.config.schema import EvseSection, SiteSection
from edge.evse.states import EvseStatus
from edge.model.session import Session, SessionStatus
from edge.ocpi import (
    EVSE,
    AuthMethod,
    BusinessDetails,
    Capability,
    CdrToken,
    Connector,
    ConnectorFormat,
    ConnectorType,
    GeoLocation,
    Location,
    PowerType,
    Status,
    Tariff,
    TokenType,
    format_ocpi_datetime,
    number_to_json,
)
from edge.ocpi import Session as OcpiSession
from edge.ocpi import SessionStatus as OcpiSessionStatus
from edge.ocpi.party import Party

CONNECTOR_ID = "1"
NOT_AVAILABLE = "#NA"
_KWH = Decimal(1000)


DeclaredEvse = EvseSection | OcppConnector
"""An EVSE as the site file declares it: a board EVSE, or an OCPP connector."""


def declared_uid(evse: DeclaredEvse) -> str:
    """The OCPI EVSE uid of a declared EVSE."""
    return evse.uid if isinstance(evse, EvseSection) else evse.evse_uid


class MappingError(ValueError):
    """The store holds something that cannot become a valid OCPI object."""


@dataclass(frozen=True)
class SiteContext:
    """What the mapping needs from the site file (and the configured tariff)."""

    party: Party
    site: SiteSection
    evses: Mapping[str, DeclaredEvse]
    currency: str
    business_name: str
    publish: bool = True
    tariff: Tariff | None = None
    preferences: frozenset[str] = frozenset()
    """The EVSE uids that take ChargingPreferences (planned by price)."""

    @property
    def location_id(self) -> str:
        """The one OCPI location this site is."""
        return self.site.location_id


@dataclass(frozen=True)
class EvseStatusRow:
    """An EVSE's last known status, as the store keeps it."""

    status: str
    updated: datetime


@dataclass(frozen=True)
class TokenRef:
    """Who issued a session's token (the eMSP), when the store knows."""

    country_code: str
    party_id: str
    contract_id: str | None = None


@dataclass(frozen=True)
class SessionAuth:
    """Who authorised a session, as its OCPI Session and CDR both carry it.

    ``token`` is the CdrToken (with the issuing eMSP); ``authorization_reference``
    the last one the eMSP gave (real-time authorization, START_SESSION or
    RESERVE_NOW), if any.
    """

    token: CdrToken
    authorization_reference: str | None = None


def fit(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters."""
    return text if len(text) <= limit else text[:limit]


def coordinates(site: SiteSection) -> GeoLocation:
    """The site's position as OCPI strings (6 decimals)."""
    return GeoLocation(
        latitude=f"{site.latitude:.6f}", longitude=f"{site.longitude:.6f}"
    )


def power_type(evse: DeclaredEvse) -> PowerType:
    """AC with the EVSE's number of phases."""
    return PowerType.AC_3_PHASE if evse.phases == 3 else PowerType.AC_1_PHASE


def connector(ctx: SiteContext, evse: DeclaredEvse, updated: datetime) -> Connector:
    """The EVSE's one connector."""
    return Connector(
        id=CONNECTOR_ID,
        standard=ConnectorType.IEC_62196_T2,
        format=ConnectorFormat.SOCKET,
        power_type=power_type(evse),
        max_voltage=evse.voltage_v,
        max_amperage=evse.max_current_a,
        max_electric_power=evse.voltage_v * evse.max_current_a * evse.phases,
        tariff_ids=[ctx.tariff.id] if ctx.tariff else [],
        last_updated=updated,
    )


_EVSE_STATUS: Mapping[EvseStatus, Status] = {
    EvseStatus.AVAILABLE: Status.AVAILABLE,
    EvseStatus.BLOCKED: Status.BLOCKED,
    EvseStatus.CHARGING: Status.CHARGING,
    EvseStatus.INOPERATIVE: Status.INOPERATIVE,
    EvseStatus.OUTOFORDER: Status.OUTOFORDER,
    EvseStatus.PLANNED: Status.PLANNED,
    EvseStatus.REMOVED: Status.REMOVED,
    EvseStatus.RESERVED: Status.RESERVED,
    EvseStatus.UNKNOWN: Status.UNKNOWN,
}
"""The site's EVSE status -> OCPI's (the one place they meet)."""

_SESSION_STATUS: Mapping[SessionStatus, OcpiSessionStatus] = {
    SessionStatus.ACTIVE: OcpiSessionStatus.ACTIVE,
    SessionStatus.COMPLETED: OcpiSessionStatus.COMPLETED,
    SessionStatus.INVALID: OcpiSessionStatus.INVALID,
}
"""A stored session's status -> OCPI's."""


def evse_status(value: str | None) -> Status:
    """The store's status text as an OCPI EVSE Status (UNKNOWN if none or unknown)."""
    try:
        return _EVSE_STATUS[EvseStatus(value or EvseStatus.UNKNOWN)]
    except ValueError:
        return Status.UNKNOWN


def session_status(status: SessionStatus) -> OcpiSessionStatus:
    """A stored session's status as OCPI's."""
    return _SESSION_STATUS[status]


def evse(
    ctx: SiteContext, section: DeclaredEvse, row: EvseStatusRow | None, since: datetime
) -> EVSE:
    """One EVSE with its status; ``since`` is when the site file last changed."""
    updated = max(since, row.updated) if row else since
    reader = isinstance(section, OcppConnector) or section.rfid is not None
    uid = declared_uid(section)
    capabilities = [Capability.RFID_READER] if reader else []
    if uid in ctx.preferences:
        capabilities.append(Capability.CHARGING_PREFERENCES_CAPABLE)
    return EVSE(
        uid=uid,
        evse_id=section.evse_id,
        status=evse_status(row.status if row else None),
        capabilities=capabilities,
        connectors=[connector(ctx, section, since)],
        last_updated=updated,
    )


def location(
    ctx: SiteContext, statuses: Mapping[str, EvseStatusRow], since: datetime
) -> Location:
    """The site as one OCPI Location with every EVSE and its current status."""
    evses = [evse(ctx, ctx.evses[uid], statuses.get(uid), since) for uid in ctx.evses]
    updated = max([since, *(e.last_updated for e in evses)])
    site = ctx.site
    return Location(
        country_code=ctx.party.country_code,
        party_id=ctx.party.party_id,
        id=ctx.location_id,
        publish=ctx.publish,
        name=fit(site.name, 255),
        address=fit(site.address, 255),
        city=fit(site.city, 45),
        postal_code=site.postal_code,
        country=site.country,
        coordinates=coordinates(site),
        evses=evses,
        operator=BusinessDetails(name=fit(ctx.business_name, 100)),
        time_zone=site.time_zone,
        last_updated=updated,
    )


def static_digest(ctx: SiteContext) -> str:
    """A digest of everything in the Location that comes from the site file."""
    data = {
        "site": ctx.site.model_dump(mode="json"),
        "evses": [ctx.evses[uid].model_dump(mode="json") for uid in ctx.evses],
        "party": str(ctx.party),
        "publish": ctx.publish,
        "operator": ctx.business_name,
        "tariff": ctx.tariff.id if ctx.tariff else None,
    }
    text = json.dumps(data, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def tariff_digest(tariff: Tariff) -> str:
    """A digest of the tariff's wire form."""
    text = json.dumps(tariff.model_dump_ocpi(), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def evse_status_patch(row: EvseStatusRow, since: datetime) -> dict[str, object]:
    """PATCH body for an EVSE status change (``since``: as in :func:`evse`)."""
    return {
        "status": evse_status(row.status).value,
        "last_updated": format_ocpi_datetime(max(since, row.updated)),
    }


def kwh(session: Session) -> Decimal:
    """Energy of a session in kWh (exact)."""
    return Decimal(session.energy_wh) / _KWH


def cdr_token(ctx: SiteContext, s: Session, issuer: TokenRef | None) -> CdrToken:
    """The token that started the session, with the eMSP that issued it.

    ``issuer`` is the eMSP that issued the token, as the caller found it (the
    token cache, else the party we push to); without one, our own party stands
    in. A session without a token (free vend) carries ``#NA``.
    """
    uid = s.token_uid or NOT_AVAILABLE
    owner = issuer or TokenRef(ctx.party.country_code, ctx.party.party_id)
    try:
        kind = TokenType(s.token_type or "RFID")
    except ValueError:
        kind = TokenType.OTHER
    if s.token_uid is None:
        kind = TokenType.OTHER
    contract = s.contract_id or owner.contract_id or uid
    return CdrToken(
        country_code=owner.country_code,
        party_id=owner.party_id,
        uid=fit(uid, 36),
        type=kind,
        contract_id=fit(contract, 36),
    )


def auth_method(s: Session) -> AuthMethod:
    """The session's authorization method (WHITELIST when not an OCPI value)."""
    try:
        return AuthMethod(s.auth_method)
    except ValueError:
        return AuthMethod.WHITELIST


def session(ctx: SiteContext, s: Session, auth: SessionAuth) -> OcpiSession:
    """The full OCPI Session (for PUT, and for the Sender GETs)."""
    return OcpiSession(
        country_code=ctx.party.country_code,
        party_id=ctx.party.party_id,
        id=s.id,
        start_date_time=s.start,
        end_date_time=s.end,
        kwh=kwh(s),
        cdr_token=auth.token,
        auth_method=auth_method(s),
        authorization_reference=auth.authorization_reference,
        location_id=ctx.location_id,
        evse_uid=s.evse_uid,
        connector_id=CONNECTOR_ID,
        currency=ctx.currency,
        status=session_status(s.status),
        last_updated=s.last_updated,
    )


def session_patch(s: Session) -> dict[str, object]:
    """PATCH body with what changes while a session runs and when it ends."""
    body: dict[str, object] = {
        "kwh": number_to_json(kwh(s)),
        "status": session_status(s.status).value,
        "last_updated": format_ocpi_datetime(s.last_updated),
    }
    if s.end is not None:
        body["end_date_time"] = format_ocpi_datetime(s.end)
    return body
