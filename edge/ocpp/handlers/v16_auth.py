"""OCPP 1.6J Authorize: the idTag decided by the site's authorization service."""

from __future__ import annotations

import logging
from typing import Any

from edge.config.ocpp import OcppCharger
from edge.model.redact import redact_uid
from edge.model.tokens import TokenType
from edge.ocpp.handlers.backing import SiteBacking
from edge.ocpp.id_tag import IdTagInfo, id_tag_info

log = logging.getLogger(__name__)


async def decide(
    site: SiteBacking, charger: OcppCharger, id_tag: str, evse_uid: str | None
) -> IdTagInfo:
    """The site's decision about ``id_tag`` shown at this charger, as IdTagInfo."""
    decision = await site.authorization.authorize(id_tag, TokenType.RFID, evse_uid)
    info = id_tag_info(decision)
    log.info(
        "OCPP %s: idTag %s %s (%s)",
        charger.identity,
        redact_uid(id_tag),
        info.status,
        decision.reason,
    )
    return info


class V16Authorize:
    """Authorize of one charger."""

    def __init__(self, charger: OcppCharger, site: SiteBacking) -> None:
        self._charger = charger
        self._site = site

    async def authorize(self, p: dict[str, Any]) -> dict[str, Any]:
        """Authorize.req names no connector: the EVSE is named if there is one."""
        connectors = self._charger.connector
        evse = connectors[0].evse_uid if len(connectors) == 1 else None
        info = await decide(self._site, self._charger, str(p["idTag"]), evse)
        return {"idTagInfo": info.payload()}
