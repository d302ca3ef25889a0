"""Our Sessions Sender's PUT: the driver's ChargingPreferences for a running session.

``PUT {sessions_endpoint_url}/{session_id}/charging_preferences`` (OCPI 2.2.1
Sessions, Sender interface) with a ChargingPreferences object; the answer's
``data`` is a ChargingPreferencesResponse. What the preferences mean for the
site is given (``preferences``: the composition root maps them onto the price
plan); this module only speaks OCPI. A session we do not run, or one on an EVSE
without ``CHARGING_PREFERENCES_CAPABLE``, is HTTP 404 with OCPI 2001 (OCPI
2.2.1, ChargingPreferencesResponse: no NOT_SUPPORTED value, 404 instead); a
body that is not a ChargingPreferences object is OCPI 2001 naming the field.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from pydantic import ValidationError
from starlette.requests import Request

from edge.ocpi import ChargingPreferences, ChargingPreferencesResponse
from edge.uplink.ocpi.serve.answer import (
    Answer,
    Refused,
    invalid,
    invalid_object,
    json_object,
    shown,
)

log = logging.getLogger(__name__)
Preferences = Callable[
    [str, ChargingPreferences], Awaitable[ChargingPreferencesResponse]
]
"""(session id, preferences) -> the answer, once what it accepts is on disk;
raises :class:`NoPreferences`."""
MAX_SESSION_ID = 36


class NoPreferences(Exception):
    """No such session here, or its EVSE takes no preferences (HTTP 404, 2001)."""


class ChargingPreferencesApi:
    """The PUT handler, over what the site does with preferences (if anything)."""

    def __init__(self, preferences: Preferences | None) -> None:
        self.preferences = preferences

    async def put(self, request: Request) -> Answer:
        """PUT: set or replace the preferences of a running session."""
        sid = str(request.path_params["session_id"])
        if len(sid) > MAX_SESSION_ID:
            raise invalid(f"session_id {shown(sid)}: longer than {MAX_SESSION_ID}")
        body = await json_object(request, "charging_preferences")
        try:
            prefs = ChargingPreferences.model_validate(body)
        except ValidationError as exc:
            raise invalid_object(exc, "charging_preferences") from exc
        if self.preferences is None:
            raise _not_found(
                f"session {sid}: no EVSE of this site is CHARGING_PREFERENCES_CAPABLE"
            )
        try:
            answer = await self.preferences(sid, prefs)
        except NoPreferences as exc:
            raise _not_found(str(exc)) from exc
        log.info(
            "charging preferences for session %s (%s): %s",
            sid,
            prefs.profile_type,
            answer,
        )
        return Answer(data=answer.value)


def _not_found(message: str) -> Refused:
    return Refused(Answer(2001, message, http_status=404))
