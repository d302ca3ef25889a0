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
from hal_sim.backoffice.client import PeerClient, PeerError
from hal_sim.backoffice.exchange import Call
from hal_sim.backoffice.receivers import Answer, Refused, bad, validated
from hal_sim.backoffice.state import BackofficeState, Registration
from hal_sim.backoffice.versions import NoCommonVersion, discover

log = logging.getLogger(__name__)


class Registrar:
    """Registrations of CPOs with this backoffice."""

    def __init__(
        self,
        state: BackofficeState,
        client: PeerClient,
        ours: Callable[[str], Credentials],
    ) -> None:
        self.state = state
        self.client = client
        self.ours = ours
        """Our credentials object carrying a given token C."""

    async def _callback(self, creds: Credentials) -> None:
        try:
            endpoints = await discover(self.client, creds.url, creds.token)
        except PeerError as exc:
            if isinstance(exc, NoCommonVersion):
                code, reason = 3002, exc.reason
            else:
                code, reason = 3001, f"discovery at {creds.url} failed: {exc.reason}"
            raise Refused(Answer(code, f"cannot use your API: {reason}")) from exc
        if not any(e.module == "credentials" for e in endpoints):
            raise Refused(
                Answer(3003, "your version details lack a credentials endpoint")
            )
        cpo_roles = [r for r in creds.roles if r.role is Role.CPO]
        if not cpo_roles:
            raise Refused(bad("credentials: no CPO role among your roles"))

    async def handle(
        self, call: Call, caller: Registration | None, body: object
    ) -> Answer:
        """The credentials module: GET, POST, PUT, DELETE."""
        if call.method == "POST":
            return await self.post(caller, body)
        if call.method == "PUT":
            return await self.put(caller, body)
        if call.method == "DELETE":
            return self.delete(caller)
        return self.get(caller.token_c if caller else self.state.token_a)

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
