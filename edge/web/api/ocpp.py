"""``GET /api/v1/ocpp/chargers``: the declared OCPP chargers and their deviations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from edge.web.api.models import OcppChargerDoc
from edge.web.context import WebContext, context_of

router = APIRouter(tags=["ocpp"])


@router.get(
    "/ocpp/chargers",
    response_model=list[OcppChargerDoc],
    operation_id="listOcppChargers",
)
def list_chargers(
    context: Annotated[WebContext, Depends(context_of)],
) -> list[OcppChargerDoc]:
    """Each declared charger: model, online, and each model deviation's count."""
    reports = [] if context.ocpp is None else context.ocpp()
    return [
        OcppChargerDoc(
            identity=r.identity,
            protocol=r.protocol,
            model=r.model,
            online=r.online,
            deviations=r.deviations,
        )
        for r in reports
    ]
