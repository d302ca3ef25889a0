"""The eMSP side of the credentials handshake (OCPI 2.2.1 *Credentials*).

POST with token A registers: while handling it we call the CPO's versions and
version details back with its token B (3001 if that fails, 3002 without 2.2.1,
3003 without a credentials endpoint), then answer with a new token C. Token A is
dead afterwards. PUT with token C rotates the tokens; DELETE unregisters; POST by
a registered client and PUT/DELETE by an unregistered one answer 405.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

from edge.ocpi import Credentials, CredentialsRole, Role
from edge.uplink.ocpi.client import OcpiClient
from edge.uplink.ocpi.errors import HandshakeError
from edge.uplink.ocpi.handshake import discover
from hal_sim.backoffice.receivers import Answer, Refused, bad, validated
from hal_sim.backoffice.state import BackofficeState, Registration

log = logging.getLogger(__name__)


class Registrar:
    """Registrations of CPOs with this backoffice."""

    def __init__(
        self,
        state: BackofficeState,
        client: OcpiClient,
        ours: Callable[[str], Credentials],
    ) -> None:
        self.state = state
        self.client = client
        self.ours = ours
        """Our credentials object carrying a given token C."""

    async def _callback(self, creds: Credentials) -> None:
        try:
            disc = await discover(self.client, creds.url, creds.token)
        except HandshakeError as exc:
            code = 3002 if "offers OCPI versions" in exc.reason else 3001
            raise Refused(Answer(code, f"cannot use your API: {exc.reason}")) from exc
        if not any(e.identifier == "credentials" for e in disc.endpoints):
            raise Refused(
                Answer(3003, "your version details lack a credentials endpoint")
            )
        cpo_roles = [r for r in creds.roles if r.role is Role.CPO]
        if not cpo_roles:
            raise Refused(bad("credentials: no CPO role among your roles"))

    async def post(self, caller: Registration | None, body: object) -> Answer:
        """Register with token A."""
        if caller is not None:
            return Answer(2000, "already registered", http_status=405)
        creds = validated(Credentials, body, "credentials")
        await self._callback(creds)
        return self._issue(creds)

    async def put(self, caller: Registration | None, body: object) -> Answer:
        """Update: new token B and endpoints, a new token C."""
        if caller is None:
            return Answer(2000, "not registered", http_status=405)
        creds = validated(Credentials, body, "credentials")
        await self._callback(creds)
        del self.state.registrations[caller.token_c]
        return self._issue(creds)

    def delete(self, caller: Registration | None) -> Answer:
        """Unregister."""
        if caller is None:
            return Answer(2000, "not registered", http_status=405)
        del self.state.registrations[caller.token_c]
        log.info("CPO %s unregistered", caller.versions_url)
        return Answer()

    def get(self, token: str) -> Answer:
        """Our credentials for whoever asks."""
        return Answer(data=self.ours(token).model_dump_ocpi())

    def _issue(self, creds: Credentials) -> Answer:
        token_c = secrets.token_urlsafe(24)
        self.state.registrations[token_c] = Registration(
            token_c, creds.token, creds.url, list(creds.roles)
        )
        self.state.token_a_used = True
        log.info("CPO %s registered", creds.url)
        return Answer(data=self.ours(token_c).model_dump_ocpi())


def emsp_role(country_code: str, party_id: str, name: str) -> CredentialsRole:
    """Our one role."""
    return CredentialsRole.model_validate(
        {
            "role": "EMSP",
            "business_details": {"name": name},
            "party_id": party_id,
            "country_code": country_code,
        }
    )
