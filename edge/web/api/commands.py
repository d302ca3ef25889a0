"""``POST /api/v1/evses/{uid}/start|stop|current-limit``: the EVSE's commands.

Carried out through :class:`~edge.evse.local_commands.LocalCommands`, as the
MQTT commands are: the answer is the EVSE's :class:`CommandResultDoc` once the
outcome happened (a start waits for an EV within the plug window; a stop until
the session is closed), HTTP 200 whatever the outcome; 404 for an unknown EVSE.
A start is recorded with the token ``API`` (auth method COMMAND).
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Body, Depends

from edge.model.commands import CommandResult
from edge.web.api.evses import NOT_FOUND, EvseUid, evse_or_404
from edge.web.api.models import CommandResultDoc, CurrentLimit
from edge.web.context import WebContext, context_of

log = logging.getLogger(__name__)
router = APIRouter(tags=["commands"])
Context = Annotated[WebContext, Depends(context_of)]


def _doc(uid: str, command: str, result: CommandResult) -> CommandResultDoc:
    log.info("API %s at %s: %s %s", command, uid, result.outcome, result.message)
    return CommandResultDoc(outcome=result.outcome, message=result.message)


@router.post(
    "/evses/{uid}/start",
    response_model=CommandResultDoc,
    operation_id="startSession",
    responses=NOT_FOUND,
)
async def start(uid: EvseUid, context: Context) -> CommandResultDoc:
    """Start charging (ACCEPTED once started; waits for an EV to plug in)."""
    evse_or_404(context, uid)
    return _doc(uid, "start", await context.commands.start(uid))


@router.post(
    "/evses/{uid}/stop",
    response_model=CommandResultDoc,
    operation_id="stopSession",
    responses=NOT_FOUND,
)
async def stop(uid: EvseUid, context: Context) -> CommandResultDoc:
    """Stop the active session (ACCEPTED once closed; FAILED when none runs)."""
    evse_or_404(context, uid)
    return _doc(uid, "stop", await context.commands.stop(uid))


@router.post(
    "/evses/{uid}/current-limit",
    response_model=CommandResultDoc,
    operation_id="setCurrentLimit",
    responses=NOT_FOUND,
)
async def set_current_limit(
    uid: EvseUid,
    limit: Annotated[
        CurrentLimit, Body(openapi_examples={"ten": {"value": {"current_limit_a": 10}}})
    ],
    context: Context,
) -> CommandResultDoc:
    """Offer at most this current per phase (REJECTED outside the EVSE's range)."""
    evse_or_404(context, uid)
    result = await context.commands.set_limit(uid, limit.current_limit_a)
    return _doc(uid, "current-limit", result)
