"""The API's documents: pydantic models, so that the OpenAPI file says them.

Units are in the names (``_a``, ``_w``, ``_wh``); times are ISO 8601 UTC. A
token uid is shown redacted (``****00C3``, :func:`edge.model.redact.redact_uid`),
as in the logs and on MQTT.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


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
