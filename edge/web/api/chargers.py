"""``/api/v1/chargers/{identity}/...``: an installer's operations on an OCPP charger.

Reset, availability, a triggered message and the configuration of one declared
charger, the same for 1.6J and 2.0.1 (:class:`~edge.ocpp.operations.
ChargerOperations` says each in the charger's version). Each answers once the
charger did (or did not, within its time): HTTP 200 with the outcome and the
charger's own word (:class:`OperationDoc`); 404 for an identity the site file
does not declare, 422 for an EVSE number it does not declare for the charger.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from edge.model.commands import CommandOutcome
from edge.ocpp.operations import ChargerOperations, Reply, ResetKind, Settings, Trigger
from edge.web.context import WebContext, context_of
from edge.web.errors import ApiError, ApiProblem

log = logging.getLogger(__name__)
router = APIRouter(tags=["chargers"])
Context = Annotated[WebContext, Depends(context_of)]
Identity = Annotated[
    str,
    Path(
        description="The charger's identity (GET /api/v1/ocpp/chargers lists them)",
        openapi_examples={"first": {"value": "CP001"}},
    ),
]
NOT_FOUND: dict[int | str, dict[str, object]] = {
    404: {"model": ApiError, "description": "No OCPP charger with this identity"}
}
EvseNumber = Annotated[int, Field(ge=0, le=1000)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class _Doc(BaseModel):
    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)


class ResetRequest(_Request):
    """How the charger restarts."""

    type: ResetKind
    """Soft: gracefully, when idle (2.0.1 OnIdle); Hard: at once (Immediate)."""


class AvailabilityRequest(_Request):
    """Make one EVSE, or the whole charger, operative or inoperative."""

    evse: EvseNumber | None = None
    """The charger's connector (1.6) or EVSE (2.0.1) number; null or 0: all."""
    operative: bool


class TriggerRequest(_Request):
    """A message the charger is asked to send now."""

    message: Trigger
    evse: EvseNumber | None = None
    """Of this connector or EVSE only (null: the charger decides)."""


class ConfigurationChange(_Request):
    """One configuration key and its new value."""

    key: Annotated[str, Field(min_length=1, max_length=101)]
    """1.6: the key (``HeartbeatInterval``); 2.0.1: ``Component.Variable``."""
    value: Annotated[str, Field(max_length=1000)]


class OperationDoc(_Doc):
    """How an operation ended at the charger."""

    outcome: CommandOutcome
    """ACCEPTED, REJECTED, NOT_SUPPORTED, FAILED or TIMEOUT."""
    status: str | None
    """The charger's own answer (``Accepted``, ``Scheduled``, ``RebootRequired``);
    null when it gave none."""
    message: str
    """Why, for the installer."""


class SettingDoc(_Doc):
    """One configuration key as the charger reported it."""

    key: str
    value: str | None
    readonly: bool | None
    """1.6 says; null for a 2.0.1 variable."""


class ConfigurationDoc(_Doc):
    """The charger's configuration, or why it gave none."""

    outcome: CommandOutcome
    message: str
    keys: list[SettingDoc]
    unknown: list[str]
    """Keys asked for that the charger does not know."""


def _charger(context: WebContext, identity: str) -> ChargerOperations:
    found = context.chargers.get(identity)
    if found is None:
        known = ", ".join(context.chargers) or "none"
        raise ApiProblem(
            404,
            f"no OCPP charger {identity!r} on this site (known: {known})",
            "path.identity",
        )
    return found


def _evse(charger: ChargerOperations, evse: int | None, field: str) -> int | None:
    if evse is None or evse == 0 or evse in charger.evses():
        return evse
    known = ", ".join(str(n) for n in charger.evses())
    raise ApiProblem(
        422,
        f"charger {charger.identity} declares no EVSE {evse} (known: {known})",
        field,
    )


def _doc(charger: ChargerOperations, what: str, reply: Reply) -> OperationDoc:
    log.info(
        "API %s of charger %s: %s %s %s",
        what,
        charger.identity,
        reply.outcome,
        reply.status,
        reply.message,
    )
    return OperationDoc(
        outcome=reply.outcome, status=reply.status, message=reply.message
    )


@router.post(
    "/chargers/{identity}/reset",
    response_model=OperationDoc,
    operation_id="resetCharger",
    responses=NOT_FOUND,
)
async def reset(
    identity: Identity,
    request: Annotated[
        ResetRequest, Body(openapi_examples={"soft": {"value": {"type": "Soft"}}})
    ],
    context: Context,
) -> OperationDoc:
    """Restart the charger (Soft or Hard)."""
    charger = _charger(context, identity)
    return _doc(charger, "reset", await charger.reset(request.type))


@router.post(
    "/chargers/{identity}/availability",
    response_model=OperationDoc,
    operation_id="changeChargerAvailability",
    responses=NOT_FOUND,
)
async def availability(
    identity: Identity,
    request: Annotated[
        AvailabilityRequest,
        Body(openapi_examples={"off": {"value": {"evse": 1, "operative": False}}}),
    ],
    context: Context,
) -> OperationDoc:
    """Make an EVSE (or the charger) operative or inoperative."""
    charger = _charger(context, identity)
    evse = _evse(charger, request.evse, "body.evse")
    reply = await charger.change_availability(evse, request.operative)
    return _doc(charger, "availability", reply)


@router.post(
    "/chargers/{identity}/trigger",
    response_model=OperationDoc,
    operation_id="triggerChargerMessage",
    responses=NOT_FOUND,
)
async def trigger(
    identity: Identity,
    request: Annotated[
        TriggerRequest,
        Body(openapi_examples={"beat": {"value": {"message": "Heartbeat"}}}),
    ],
    context: Context,
) -> OperationDoc:
    """Ask the charger to send a message now."""
    charger = _charger(context, identity)
    evse = _evse(charger, request.evse, "body.evse")
    return _doc(charger, "trigger", await charger.trigger(request.message, evse))


@router.get(
    "/chargers/{identity}/configuration",
    response_model=ConfigurationDoc,
    operation_id="getChargerConfiguration",
    responses=NOT_FOUND,
)
async def configuration(
    identity: Identity,
    context: Context,
    key: Annotated[
        list[str] | None,
        Query(
            max_length=50,
            description="Keys to report (1.6: all when none; 2.0.1: "
            "Component.Variable, at least one)",
        ),
    ] = None,
) -> ConfigurationDoc:
    """The charger's configuration keys and values."""
    charger = _charger(context, identity)
    got = await charger.configuration(key or None)
    if isinstance(got, Settings):
        return ConfigurationDoc(
            outcome=CommandOutcome.ACCEPTED,
            message="",
            keys=[
                SettingDoc(key=s.key, value=s.value, readonly=s.readonly)
                for s in got.keys
            ],
            unknown=list(got.unknown),
        )
    _doc(charger, "configuration", got)
    return ConfigurationDoc(
        outcome=got.outcome, message=got.message, keys=[], unknown=[]
    )


@router.put(
    "/chargers/{identity}/configuration",
    response_model=OperationDoc,
    operation_id="changeChargerConfiguration",
    responses=NOT_FOUND,
)
async def change_configuration(
    identity: Identity,
    change: Annotated[
        ConfigurationChange,
        Body(
            openapi_examples={
                "beat": {"value": {"key": "HeartbeatInterval", "value": "120"}}
            }
        ),
    ],
    context: Context,
) -> OperationDoc:
    """Set one configuration key (RebootRequired: ACCEPTED, effective on restart)."""
    charger = _charger(context, identity)
    reply = await charger.set_configuration(change.key, change.value)
    return _doc(charger, "configuration", reply)
