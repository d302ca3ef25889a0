"""OCPP 2.0.1 Authorize: the idToken decided by the site's authorization service."""

from __future__ import annotations

import logging
from typing import Any

from edge.config.ocpp import OcppCharger
from edge.model.redact import redact_uid
from edge.ocpp.handlers.backing import SiteBacking
from edge.ocpp.id_token import IdTokenInfo, id_token_info, token_type

log = logging.getLogger(__name__)


async def decide_token(
    site: SiteBacking,
    charger: OcppCharger,
    id_token: dict[str, Any],
    evse_uid: str | None,
) -> IdTokenInfo:
    """The site's decision about a 2.0.1 ``IdTokenType`` shown at this station."""
    uid, kind = str(id_token["idToken"]), str(id_token["type"])
    decision = await site.authorization.authorize(uid, token_type(kind), evse_uid)
    info = id_token_info(decision)
    log.info(
        "OCPP %s: idToken %s (%s) %s (%s)",
        charger.identity,
        redact_uid(uid),
        kind,
        info.status,
        decision.reason,
    )
    return info


class V201Authorize:
    """Authorize of one station."""

    def __init__(self, charger: OcppCharger, site: SiteBacking) -> None:
        self._charger = charger
        self._site = site

    async def authorize(self, p: dict[str, Any]) -> dict[str, Any]:
        """Authorize names no EVSE: the EVSE is named if the station has one."""
        connectors = self._charger.connector
        evse = connectors[0].evse_uid if len(connectors) == 1 else None
        info = await decide_token(self._site, self._charger, p["idToken"], evse)
        return {"idTokenInfo": info.payload()}
