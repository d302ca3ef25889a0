"""The local API, ``/api/v1``: site, EVSEs, departures, sessions, tokens, OCPP.

Every route needs the API token (:mod:`.auth`) and answers errors as
:class:`~edge.web.errors.ApiError`. The OpenAPI document is generated from
these routes (:func:`edge.web.server.openapi_document`) and committed as
``edge/web/openapi.json``; regenerate it with ``edge api openapi --out
edge/web/openapi.json`` (a test fails while the two differ).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI

from edge.web.api import (
    chargers,
    commands,
    departure,
    evses,
    ocpp,
    sessions,
    site,
    sync,
    tokens,
)
from edge.web.api.auth import require_token
from edge.web.errors import ApiError

PREFIX = "/api/v1"
_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ApiError, "description": "The request could not be read"},
    401: {"model": ApiError, "description": "No API token, or the wrong one"},
    422: {"model": ApiError, "description": "A parameter is not valid (`field`)"},
}


def include(app: FastAPI) -> None:
    """Mount the API's routes on ``app``."""
    api = APIRouter(
        prefix=PREFIX, dependencies=[Depends(require_token)], responses=_ERRORS
    )
    modules = (site, evses, commands, departure, sessions, tokens, sync, ocpp, chargers)
    for module in modules:
        api.include_router(module.router)
    app.include_router(api)
