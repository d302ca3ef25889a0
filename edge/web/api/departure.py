"""``/api/v1/evses/{uid}/departure``: when the running session's car leaves.

The driver's departure for the session that runs now, and optionally the energy
it wants by then (else the EVSE's ``energy_wh`` in ``[[load.evse]]``): the price
plan (``[load.prices]``) charges it in the cheapest hours before then. It holds
for this session only (a new session goes back to the site file) and is on disk
before ``PUT`` answers, so it holds across a restart or a power cut while the
session is open. It never loosens a fuse limit: it only decides when the car
may draw what the fuses allow. ``DELETE`` forgets it (the site file's
departure, if any, holds again).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Response
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from edge.load.departures import DepartureRefused, Refusal
from edge.load.price_plan import ChargeNow, Plan, Unplanned, Wait
from edge.load.price_source import PricePlanner, departure_after
from edge.model.departure import Source
from edge.web.api.evses import EvseUid, evse_or_404
from edge.web.context import WebContext, context_of
from edge.web.errors import ApiError, ApiProblem

router = APIRouter(tags=["departure"])
Context = Annotated[WebContext, Depends(context_of)]
RESPONSES: dict[int | str, dict[str, object]] = {
    404: {"model": ApiError, "description": "No EVSE with this uid"},
    409: {
        "model": ApiError,
        "description": "No session runs, or the EVSE is not planned by price",
    },
}


class _Doc(BaseModel):
    model_config = ConfigDict(frozen=True, use_attribute_docstrings=True)


class DepartureRequest(_Doc):
    """The running session's departure, and the energy it wants by then."""

    model_config = ConfigDict(
        frozen=True, use_attribute_docstrings=True, extra="forbid"
    )

    departure: AwareDatetime
    """When the car leaves (ISO 8601 with a UTC offset), within a week."""
    energy_wh: Annotated[int, Field(gt=0, le=500_000)] | None = None
    """The energy it wants by then (none: the EVSE's ``energy_wh``)."""


class DepartureDoc(_Doc):
    """The departure the running session is planned for, and the plan now."""

    evse_uid: str
    session_id: str
    departure: datetime
    energy_wh: int
    """The energy it wants by the departure (from the session's start)."""
    source: str
    """Who set it: ``api``, ``ocpi`` or ``site_file`` (``[[load.evse]]``)."""
    plan: str | None
    """``charge`` (in a chosen interval), ``wait`` (for a cheaper one) or
    ``fast`` (no plan: charges as fast as the fuses allow); none before the
    next allocation."""
    plan_until: datetime | None
    """The end of the chosen interval (``charge``) or the next one's start
    (``wait``)."""
    plan_reason: str | None
    """Why there is no plan (``fast``)."""


def _planner(context: WebContext) -> PricePlanner:
    if context.prices is None:
        raise ApiProblem(
            409, "this site plans nothing by price: add [load.prices] to the site file"
        )
    return context.prices


def _plan_fields(p: Plan | None) -> tuple[str | None, datetime | None, str | None]:
    """(plan, plan_until, plan_reason) of a plan."""
    match p:
        case ChargeNow(until=until):
            return "charge", until, None
        case Wait(at=at):
            return "wait", at, None
        case Unplanned(reason=reason):
            return "fast", None, reason
    return None, None, None


def _doc(context: WebContext, uid: str) -> DepartureDoc:
    prices = _planner(context)
    session = evse_or_404(context, uid).view().session
    dep = prices.departures.get(uid)
    if session is None:
        raise ApiProblem(409, f"no session runs on EVSE {uid}")
    own = prices.sessions.get(uid)
    if own is not None and own.session_id == session.id and own.departure is None:
        raise ApiProblem(
            404, f"the session on EVSE {uid} charges as fast ({own.source} asked)"
        )
    if own is not None and own.session_id != session.id:
        own = None  # that session has ended
    if own is not None and own.departure is not None and dep is not None:
        departure, energy, source = own.departure, own.energy_wh, str(own.source)
        energy = energy if energy is not None else dep.energy_wh
    elif dep is not None and dep.at is not None and dep.energy_wh is not None:
        start = session.start_utc or context.clock.utcnow()
        departure = departure_after(start, dep.at, prices.tz)
        energy, source = dep.energy_wh, "site_file"
    else:
        raise ApiProblem(404, f"the session on EVSE {uid} has no departure")
    plan, until, reason = _plan_fields(prices.plans.get(uid))
    return DepartureDoc(
        evse_uid=uid,
        session_id=session.id,
        departure=departure,
        energy_wh=energy or 0,
        source=source,
        plan=plan,
        plan_until=until,
        plan_reason=reason,
    )


@router.get(
    "/evses/{uid}/departure",
    response_model=DepartureDoc,
    operation_id="getDeparture",
    responses=RESPONSES,
)
def get_departure(uid: EvseUid, context: Context) -> DepartureDoc:
    """The running session's departure (its own, or the site file's) and plan."""
    return _doc(context, uid)


@router.put(
    "/evses/{uid}/departure",
    response_model=DepartureDoc,
    operation_id="setDeparture",
    responses=RESPONSES,
)
async def set_departure(
    uid: EvseUid,
    body: Annotated[
        DepartureRequest,
        Body(
            openapi_examples={
                "morning": {
                    "value": {
                        "departure": "2026-06-03T07:00:00+02:00",
                        "energy_wh": 20000,
                    }
                }
            }
        ),
    ],
    context: Context,
) -> DepartureDoc:
    """Plan the running session for this departure (and energy)."""
    prices = _planner(context)
    view = evse_or_404(context, uid).view()
    try:
        await prices.set_departure(
            uid,
            view,
            body.departure,
            body.energy_wh,
            Source.API,
            context.clock.utcnow(),
        )
    except DepartureRefused as exc:
        match exc.refusal:
            case Refusal.NOT_PLANNED | Refusal.NO_SESSION:
                raise ApiProblem(409, exc.reason) from None
            case Refusal.NOT_POSSIBLE:
                raise ApiProblem(422, exc.reason, "body.departure") from None
            case Refusal.ENERGY_NEEDED:
                raise ApiProblem(422, exc.reason, "body.energy_wh") from None
    return _doc(context, uid)


@router.delete(
    "/evses/{uid}/departure",
    status_code=204,
    operation_id="clearDeparture",
    responses=RESPONSES,
    response_class=Response,
)
async def clear_departure(uid: EvseUid, context: Context) -> Response:
    """Forget the running session's own departure (the site file's holds again)."""
    prices = _planner(context)
    evse_or_404(context, uid)
    await prices.clear_departure(uid)
    return Response(status_code=204)
