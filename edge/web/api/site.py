"""``GET /api/v1/site``: the site at a glance."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from edge.web.api.models import SiteDoc
from edge.web.context import WebContext, context_of

router = APIRouter(tags=["site"])


@router.get("/site", response_model=SiteDoc, operation_id="getSite")
def get_site(context: Annotated[WebContext, Depends(context_of)]) -> SiteDoc:
    """The site: who runs it, where it is, its EVSEs, whether it is up."""
    site = context.config.site
    return SiteDoc(
        name=site.name,
        country_code=site.country_code,
        party_id=site.party_id,
        location_id=site.location_id,
        time_zone=site.time_zone,
        address=site.address,
        city=site.city,
        postal_code=site.postal_code,
        country=site.country,
        latitude=site.latitude,
        longitude=site.longitude,
        evse_uids=list(context.evses),
        ready=context.ready.is_ready,
        pending=context.ready.pending,
        now=context.clock.utcnow(),
    )
