"""Start, stop and current limit for the site's own clients (MQTT, the local API).

The OCPI Commands receiver and the load manager reach the EVSEs through their
ports (:class:`~edge.evse.port.EvsePort`); so do the site's local clients,
through :class:`LocalCommands`: the MQTT commands (:mod:`edge.mqtt.commands`)
and the local HTTP API (:mod:`edge.web.api.commands`). Each client records the
sessions it starts with its own token (:func:`site_token`, auth method
COMMAND): the site's operator authorised it by letting the client in (the
broker's ACL, the API's token).

Every method returns a :class:`~edge.model.commands.CommandResult`, never
raises for a refusal; timeouts are in site seconds.
"""

from __future__ import annotations

from collections.abc import Mapping

from edge.evse.port import EvsePort
from edge.model.commands import CommandOutcome, CommandResult, CommandToken

LIMIT_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 60.0


def site_token(country_code: str, party_id: str, client: str) -> CommandToken:
    """The token a start by ``client`` (``MQTT``, ``API``) is recorded with."""
    return CommandToken(
        uid=client,
        type="OTHER",
        contract_id=client,
        country_code=country_code,
        party_id=party_id,
        issuer=client,
    )


class LocalCommands:
    """Carries out one local client's commands through the site's ports."""

    def __init__(
        self,
        evses: Mapping[str, EvsePort],
        token: CommandToken,
        start_timeout_s: float,
    ) -> None:
        """``start_timeout_s``: the EVSEs' plug window and a margin."""
        self._evses = evses
        self._token = token
        self._start_timeout_s = start_timeout_s

    def has_evse(self, evse_uid: str) -> bool:
        """Whether the site has this EVSE."""
        return evse_uid in self._evses

    async def start(self, evse_uid: str) -> CommandResult:
        """Start charging (ACCEPTED once started; an EV may plug in meanwhile)."""
        evse = self._evses.get(evse_uid)
        if evse is None:
            return _no_evse(evse_uid)
        return await evse.start(self._token, None, self._start_timeout_s)

    async def stop(self, evse_uid: str) -> CommandResult:
        """Stop the EVSE's active session (FAILED when none runs)."""
        evse = self._evses.get(evse_uid)
        if evse is None:
            return _no_evse(evse_uid)
        session = evse.view().session
        if session is None:
            return CommandResult(CommandOutcome.FAILED, "no active session")
        return await evse.stop(session.id, STOP_TIMEOUT_S)

    async def set_limit(self, evse_uid: str, current_a: float | None) -> CommandResult:
        """Hold at most ``current_a`` per phase (None: the EVSE's max_current_a)."""
        evse = self._evses.get(evse_uid)
        if evse is None:
            return _no_evse(evse_uid)
        return await evse.set_current_limit(current_a, LIMIT_TIMEOUT_S)


def _no_evse(evse_uid: str) -> CommandResult:
    return CommandResult(CommandOutcome.REJECTED, f"no EVSE {evse_uid}")
