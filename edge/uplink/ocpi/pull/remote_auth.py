"""Real-time authorization for the site's authorization service.

Adapts the token pull to :class:`edge.auth.remote.RemoteAuthorizer`: None when it
cannot ask (not registered, no tokens endpoint), ``RemoteAnswer(None)`` when the
eMSP does not know the token, ``RemoteAnswer(info)`` otherwise; transport failures
raise, and the authorization service applies its offline rules.
"""

from __future__ import annotations

from edge.auth.remote import RemoteAnswer
from edge.model.clock import Clock
from edge.ocpi import LocationReferences, TokenType
from edge.uplink.ocpi.pull.token_pull import TokenPuller


class RemoteTokens:
    """The eMSP's tokens endpoint as the authorization service's remote."""

    def __init__(
        self, puller: TokenPuller, location_id: str, clock: Clock, timeout_s: float
    ) -> None:
        self.puller = puller
        self.location_id = location_id
        self.clock = clock
        self.timeout_s = timeout_s
        """Site seconds to wait for the eMSP's answer."""

    async def authorize_remote(
        self, uid: str, token_type: TokenType, evse_uid: str | None
    ) -> RemoteAnswer | None:
        """POST ``tokens/{uid}/authorize`` with this site's location and EVSE."""
        if self.puller.source() is None:
            return None
        where = LocationReferences(
            location_id=self.location_id,
            evse_uids=[evse_uid] if evse_uid else [],
        )
        timeout = self.clock.to_wall(self.timeout_s)
        info = await self.puller.ask(uid, where, token_type.value, timeout)
        return RemoteAnswer(info)
