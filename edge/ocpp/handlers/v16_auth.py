"""OCPP 1.6J Authorize: the idTag decided by the site's authorization service."""

from __future__ import annotations

from typing import Any

from edge.config.ocpp import OcppCharger
from edge.model.tokens import TokenType
from edge.ocpp.handlers.auth import ask, sole_evse
from edge.ocpp.handlers.backing import SiteBacking
from edge.ocpp.id_tag import id_tag_info


class V16Authorize:
    """Authorize of one charger."""

    def __init__(self, charger: OcppCharger, site: SiteBacking) -> None:
        self._charger = charger
        self._site = site

    async def authorize(self, p: dict[str, Any]) -> dict[str, Any]:
        """Authorize.req names no connector: the EVSE is named if there is one."""
        uid, evse = str(p["idTag"]), sole_evse(self._charger)
        decision = await ask(
            self._site, self._charger, uid, TokenType.RFID, evse,
            named="idTag", said=lambda d: id_tag_info(d).status,
        )  # fmt: skip
        return {"idTagInfo": id_tag_info(decision).payload()}
