"""OCPP 2.0.1 Authorize: the idToken decided by the site's authorization service.

**One swipe, one decision.** A 2.0.1 station asks Authorize when a card is
shown and then names the same idToken in the TransactionEvent that the swipe
starts (or authorizes); both answers carry ``idTokenInfo``. The decision of
the Authorize is kept (:class:`Swipes`) for the first TransactionEvent of this
station that names the same token within :data:`SWIPE_WINDOW_S` site seconds,
which takes it instead of asking the authorization service again (whose
remote answer may be an eMSP's real-time call, counted and billed per ask).
A TransactionEvent without an Authorize before it (an offline start, a
station that authorizes from its list) is decided once, there.
"""

from __future__ import annotations

from typing import Any

from edge.config.ocpp import OcppCharger
from edge.model.authorization import AuthDecision
from edge.model.clock import Clock
from edge.ocpp.handlers.auth import ask, sole_evse
from edge.ocpp.handlers.backing import SiteBacking
from edge.ocpp.id_token import IdTokenInfo, id_token_info, token_type

SWIPE_WINDOW_S = 180.0
"""Site seconds an Authorize's decision waits for its TransactionEvent (a driver
swipes, then plugs in: 2.0.1's EVConnectionTimeOut is often 60 to 180 s)."""


async def decide_token(
    site: SiteBacking,
    charger: OcppCharger,
    id_token: dict[str, Any],
    evse_uid: str | None,
) -> AuthDecision:
    """The site's decision about a 2.0.1 ``IdTokenType`` shown at this station."""
    uid, kind = str(id_token["idToken"]), str(id_token["type"])
    return await ask(
        site, charger, uid, token_type(kind), evse_uid,
        named="idToken", kind_shown=kind, said=lambda d: id_token_info(d).status,
    )  # fmt: skip


class Swipes:
    """Authorize's decisions of one station, waiting for their TransactionEvent."""

    def __init__(self, clock: Clock, window_s: float = SWIPE_WINDOW_S) -> None:
        self._clock = clock
        self._window_s = window_s
        self._waiting: dict[tuple[str, str], tuple[float, str | None, AuthDecision]]
        self._waiting = {}

    def put(
        self, id_token: dict[str, Any], evse_uid: str | None, decision: AuthDecision
    ) -> None:
        """The decision of an Authorize of ``id_token`` (at ``evse_uid``, if named)."""
        now = self._clock.monotonic()
        self._waiting = {  # those never taken are dropped after the window
            k: w for k, w in self._waiting.items() if now - w[0] <= self._window_s
        }
        key = (str(id_token["idToken"]).upper(), str(id_token["type"]))
        self._waiting[key] = (now, evse_uid, decision)

    def take(
        self, id_token: dict[str, Any], evse_uid: str | None
    ) -> AuthDecision | None:
        """The waiting decision for ``id_token`` at ``evse_uid``, once (None: none).

        One made for another EVSE than ``evse_uid``, or too long ago, is dropped.
        """
        key = (str(id_token["idToken"]).upper(), str(id_token["type"]))
        found = self._waiting.pop(key, None)
        if found is None:
            return None
        at, where, decision = found
        if self._clock.monotonic() - at > self._window_s:
            return None
        if where is not None and where != evse_uid:
            return None
        return decision


class V201Authorize:
    """Authorize of one station."""

    def __init__(
        self, charger: OcppCharger, site: SiteBacking, swipes: Swipes | None = None
    ) -> None:
        self._charger = charger
        self._site = site
        self._swipes = swipes

    async def authorize(self, p: dict[str, Any]) -> dict[str, Any]:
        """Authorize names no EVSE: the EVSE is named if the station has one."""
        evse = sole_evse(self._charger)
        decision = await decide_token(self._site, self._charger, p["idToken"], evse)
        if self._swipes is not None:
            self._swipes.put(p["idToken"], evse, decision)
        info: IdTokenInfo = id_token_info(decision)
        return {"idTokenInfo": info.payload()}
