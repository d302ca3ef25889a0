"""``/api/v1/evses``: every EVSE with what it shows now; one by uid."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from edge.evse.port import EvsePort, EvseView
from edge.evse.states import Phase
from edge.load.manager import LoadManager
from edge.load.setpoints import Pause
from edge.model.redact import redact_uid
from edge.web.api.models import ConnectorDoc, DrawDoc, EvseDoc, RunningSessionDoc
from edge.web.context import WebContext, context_of
from edge.web.errors import ApiError, ApiProblem

router = APIRouter(tags=["evses"])

EvseUid = Annotated[
    str,
    Path(
        description="The EVSE's uid (GET /api/v1/site lists them)",
        openapi_examples={"first": {"value": "E1"}},
    ),
]
NOT_FOUND: dict[int | str, dict[str, object]] = {
    404: {"model": ApiError, "description": "No EVSE with this uid"}
}


def evse_or_404(context: WebContext, uid: str) -> EvsePort:
    """The site's EVSE ``uid``, or a 404 naming ``path.uid``."""
    evse = context.evses.get(uid)
    if evse is None:
        known = ", ".join(context.evses) or "none"
        raise ApiProblem(
            404, f"no EVSE {uid!r} on this site (known: {known})", "path.uid"
        )
    return evse


def waiting_reason(uid: str, view: EvseView, load: LoadManager | None) -> str | None:
    """Why an EVSE waiting for power (SUSPENDED_EVSE) offers nothing, if known."""
    if view.phase is not Phase.SUSPENDED_EVSE:
        return None
    allocation = None if load is None else load.allocation
    setpoint = None if allocation is None else allocation.setpoints.get(uid)
    if isinstance(setpoint, Pause):
        return setpoint.why.value
    return "limit" if view.limit_a == 0.0 else None


def evse_doc(evse: EvsePort, now_s: float, load: LoadManager | None = None) -> EvseDoc:
    """What one EVSE shows now (``now_s``: the site clock's monotonic time)."""
    who = evse.identity
    view = evse.view()
    draw = view.draw
    session = view.session
    return EvseDoc(
        uid=who.uid,
        evse_id=who.evse_id,
        kind=who.kind,
        connectors=[
            ConnectorDoc(id=c.id, standard=c.standard, format=c.format)
            for c in who.connectors
        ],
        phases=who.phases,
        voltage_v=who.voltage_v,
        min_current_a=who.min_current_a,
        max_current_a=who.max_current_a,
        status=view.status,
        phase=view.phase,
        fault=view.fault,
        meter_wh=view.meter_wh,
        draw=None
        if draw is None
        else DrawDoc(
            power_w=draw.power_w,
            currents_a=list(draw.currents_a),
            age_s=max(0.0, now_s - draw.read_at),
        ),
        limit_a=view.limit_a,
        offered_a=view.offered_a,
        waiting_reason=waiting_reason(who.uid, view, load),
        session=None
        if session is None
        else RunningSessionDoc(
            id=session.id,
            token_uid=None
            if session.token_uid is None
            else redact_uid(session.token_uid),
            group_id=session.group_id,
            start=session.start_utc,
            meter_start_wh=session.meter_start_wh,
            energy_wh=session.energy_wh,
        ),
    )


@router.get("/evses", response_model=list[EvseDoc], operation_id="listEvses")
def list_evses(context: Annotated[WebContext, Depends(context_of)]) -> list[EvseDoc]:
    """Every EVSE of the site, in the site file's order, as it is now."""
    now = context.clock.monotonic()
    return [evse_doc(evse, now, context.load) for evse in context.evses.values()]


@router.get(
    "/evses/{uid}", response_model=EvseDoc, operation_id="getEvse", responses=NOT_FOUND
)
def get_evse(
    uid: EvseUid, context: Annotated[WebContext, Depends(context_of)]
) -> EvseDoc:
    """One EVSE as it is now."""
    evse = evse_or_404(context, uid)
    return evse_doc(evse, context.clock.monotonic(), context.load)
