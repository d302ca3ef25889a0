"""The API's documents: pydantic models, so that the OpenAPI file says them.

Units are in the names (``_a``, ``_w``, ``_wh``); times are ISO 8601 UTC. A
token uid is shown redacted (``****00C3``, :func:`edge.model.redact.redact_uid`),
as in the logs and on MQTT.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from edge.evse.port import EvseKind
from edge.evse.states import EvseStatus, FaultKind, Phase
from edge.model.commands import CommandOutcome
from edge.model.session import SessionStatus
from edge.model.tokens import TokenSource, TokenType, WhitelistType
from edge.ocpi.enums import ConnectorFormat, ConnectorType


class _Doc(BaseModel):
    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)


class SiteDoc(_Doc):
    """The site: who runs it, where it is, its EVSEs, whether it is up."""

    name: str
    country_code: str
    party_id: str
    location_id: str
    time_zone: str
    address: str
    city: str
    postal_code: str | None
    country: str
    latitude: float
    longitude: float
    evse_uids: list[str]
    """Every EVSE of the site, in the site file's order."""
    ready: bool
    """Every device polled once, readers open, the uplink decided."""
    pending: list[str]
    """The parts not up yet (empty once ready)."""
    now: datetime
    """The site clock's time."""


class ConnectorDoc(_Doc):
    """One connector of an EVSE (OCPI terms)."""

    id: str
    standard: ConnectorType
    format: ConnectorFormat


class DrawDoc(_Doc):
    """What the EVSE draws, as its meter last read it."""

    power_w: float
    currents_a: list[float | None]
    """Per phase L1, L2, L3 as the EVSE is wired; null where not measured."""
    age_s: float
    """Site seconds since the meter was read."""


class RunningSessionDoc(_Doc):
    """The session an EVSE runs now."""

    id: str
    token_uid: str | None
    """Redacted (``****00C3``); null for free vend."""
    group_id: str | None
    start: datetime | None
    meter_start_wh: int
    energy_wh: int | None
    """Energy so far (null until the meter has answered)."""


class EvseDoc(_Doc):
    """One EVSE: who it is and what it shows now."""

    uid: str
    evse_id: str | None
    """The eMI3 EVSE id, if declared."""
    kind: EvseKind
    """board: our state machine drives it; ocpp: a charger that runs itself."""
    connectors: list[ConnectorDoc]
    phases: int
    voltage_v: float
    min_current_a: float
    max_current_a: float
    status: EvseStatus
    phase: Phase
    fault: FaultKind | None
    meter_wh: int | None
    """The meter's import register (null before its first believed reading)."""
    draw: DrawDoc | None
    """Null while the meter is silent or unread."""
    limit_a: float
    """The current it is asked to hold per phase (the limit set, or its maximum)."""
    offered_a: float | None
    """What it offers the EV now (null: not offering, contactor open)."""
    waiting_reason: str | None
    """In phase SUSPENDED_EVSE (waiting for power): why it offers nothing, if
    known: the load manager's reason for its 0 A (``no_headroom``,
    ``resume_delay``, ``no_surplus``, ``surplus_unknown``,
    ``waiting_for_cheap_hour``, ``no_demand``, ``failsafe``), or ``limit`` for a
    0 A limit a command set; null in every other phase."""
    session: RunningSessionDoc | None


class OcppChargerDoc(_Doc):
    """A declared OCPP charger, and the known deviations of its model it sent."""

    identity: str
    protocol: str
    """``ocpp1.6`` or ``ocpp2.0.1``."""
    model: str | None
    """Its model profile (edge/ocpp/charger_models/<model>.toml), if named."""
    online: bool
    deviations: dict[str, int]
    """How often each deviation of its model was tolerated since start, by
    name; empty when none fired (everything else is validated strictly)."""


class SessionDoc(_Doc):
    """A stored charging session (the columns of the CSV, in order)."""

    id: str
    evse_uid: str
    token_uid: str | None
    """Redacted (``****00C3``); null for free vend."""
    start: str
    """ISO 8601 UTC."""
    end: str | None
    kwh: float
    energy_wh: int
    meter_start_wh: int
    meter_stop_wh: int | None
    status: SessionStatus
    stop_reason: str | None
    auth_reason: str | None


class SessionPage(_Doc):
    """One page of sessions, oldest start first."""

    total: int
    """How many sessions match the filters in all."""
    offset: int
    limit: int
    sessions: list[SessionDoc]


class TokenDoc(_Doc):
    """A token the site knows (from the site file, `edge tokens`, or the eMSP)."""

    uid: str
    """Redacted (``****00C3``)."""
    type: TokenType
    country_code: str
    party_id: str
    contract_id: str
    """Redacted, like the uid."""
    issuer: str
    group_id: str | None
    valid: bool
    whitelist: WhitelistType
    blocked: bool
    """Blocked on this site (``edge tokens block``, or this API)."""
    source: TokenSource
    last_updated: datetime


class TokenPage(_Doc):
    """One page of tokens, oldest update first."""

    total: int
    offset: int
    limit: int
    tokens: list[TokenDoc]


class BlockedDoc(_Doc):
    """A uid's block on this site."""

    blocked: bool
    changed: bool
    """False when it already was in that state."""


class CurrentLimit(BaseModel):
    """The current an EVSE may offer from now on."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    current_limit_a: (
        Annotated[float, Field(ge=0, le=1000, allow_inf_nan=False, strict=True)] | None
    )
    """Amps per phase (0 pauses the session; null lifts the limit)."""


class CommandResultDoc(_Doc):
    """How a command ended at the EVSE."""

    outcome: CommandOutcome
    """ACCEPTED, REJECTED, FAILED, TIMEOUT, EVSE_OCCUPIED, ... (OCPI's)."""
    message: str
    """Why, for the operator."""


class ModuleBacklogDoc(_Doc):
    """What is queued for one OCPI module."""

    module: str
    queued: int
    blocked: int
    """Queued but waiting for another object first."""
    dead: int
    oldest: str | None
    """When the oldest live item was queued (ISO 8601 UTC)."""


class LastErrorDoc(_Doc):
    """The latest failed delivery."""

    key: str
    error: str
    at: str | None


class DeadLetterDoc(_Doc):
    """An object the receiver refused for good (until `edge sync retry`)."""

    key: str
    attempts: int
    reason: str | None


class SyncDoc(_Doc):
    """The OCPI uplink: what it still has to deliver, and when it last did."""

    enabled: bool
    """Whether the site has an OCPI uplink."""
    registered: bool
    peer: str | None
    """The backoffice's party, once registered."""
    queued: int
    """Objects still to deliver (dead letters aside)."""
    backlog: list[ModuleBacklogDoc]
    oldest_key: str | None
    oldest_created: str | None
    last_error: LastErrorDoc | None
    dead_letters: list[DeadLetterDoc]
    last_success: datetime | None
    """When the backoffice last accepted an object."""


_ID = r"^[\x21-\x7e]+$"
"""Printable ASCII without spaces: a card uid, a contract or group id."""
_TEXT = r"^[\x20-\x7e]*$"
"""Printable ASCII."""


class NewToken(BaseModel):
    """A token to add by hand (an OCPI Token owned by the site's party).

    Adding a uid again replaces the hand-made token of that uid and type.
    """

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    uid: Annotated[str, Field(min_length=1, max_length=36, pattern=_ID)]
    """The card's uid as the reader reads it (any letter case)."""
    type: TokenType = TokenType.RFID
    contract_id: (
        Annotated[str, Field(min_length=1, max_length=36, pattern=_ID)] | None
    ) = None
    """Defaults to the uid."""
    visual_number: Annotated[str, Field(max_length=64, pattern=_TEXT)] | None = None
    """What is printed on the card."""
    issuer: Annotated[str, Field(min_length=1, max_length=64, pattern=_TEXT)] = "Local"
    group_id: Annotated[str, Field(min_length=1, max_length=36, pattern=_ID)] | None = (
        None
    )
    """Cards of one group may stop each other's sessions."""
    valid: Annotated[bool, Field(strict=True)] = True
    whitelist: WhitelistType = WhitelistType.ALWAYS
    language: Annotated[str, Field(pattern=r"^[a-z]{2}$")] | None = None
