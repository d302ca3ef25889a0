"""A strict OCPI 2.2.1 eMSP backoffice: its state, its routes, its calls out.

Every request goes through the pipeline (:mod:`hal_sim.backoffice.pipeline`:
faults, token, headers, body, log, envelope), then the module's handler:
versions (:mod:`~hal_sim.backoffice.versions`), credentials
(:mod:`~hal_sim.backoffice.registration`), the Receivers
(:mod:`~hal_sim.backoffice.modules`) and the tokens Sender
(:mod:`~hal_sim.backoffice.tokens`). :attr:`Backoffice.routes` is the route
table that :mod:`hal_sim.backoffice.asgi` serves.
"""

from __future__ import annotations

import ssl

from edge.model.clock import Clock
from edge.ocpi import CommandType, Credentials, Token
from hal_sim.backoffice import versions
from hal_sim.backoffice.client import PeerClient
from hal_sim.backoffice.exchange import Call, HttpRoute
from hal_sim.backoffice.faults import Faults
from hal_sim.backoffice.modules import Modules
from hal_sim.backoffice.pipeline import Pipeline
from hal_sim.backoffice.receivers import Answer
from hal_sim.backoffice.registration import Registrar, emsp_role
from hal_sim.backoffice.state import BackofficeState, Registration
from hal_sim.backoffice.tokens import TokenList

PREFIX = "/ocpi/emsp"
VERSION = versions.VERSION


class Backoffice:
    """The simulated eMSP: state, faults and the route table."""

    def __init__(
        self,
        clock: Clock,
        *,
        token_a: str = "sim-token-A",  # noqa: S107 - a simulator's well-known token
        country_code: str = "DE",
        party_id: str = "MSP",
        accept_raw_token: bool = False,
        page_limit: int = 50,
        tokens: list[Token] | None = None,
        callback_timeout_s: float = 5.0,
        verify: ssl.SSLContext | None = None,
    ) -> None:
        self.clock = clock
        self.country_code = country_code
        self.party_id = party_id
        self.state = BackofficeState(token_a)
        self.faults = Faults()
        self.base_url = "http://127.0.0.1"
        """Where CPOs reach us (the proxy in front, once started)."""
        self.client = PeerClient(timeout_s=callback_timeout_s, verify=verify)
        """Calls the CPOs (``verify``: the CAs their TLS certificates chain to)."""
        self.registrar = Registrar(self.state, self.client, self._credentials)
        self.tokens = TokenList(self.state, clock, page_limit, tokens or [])
        self.pipeline = Pipeline(
            self.state, self.faults, clock, country_code, party_id, accept_raw_token
        )
        self.routes = self._routes()

    def _routes(self) -> list[HttpRoute]:
        on = self.pipeline.route
        mod = Modules(self.state, lambda: self.version_url)
        v = f"{PREFIX}/{VERSION}"
        obj = "/{cc}/{pid}/{oid}"
        return [
            HttpRoute(f"{PREFIX}/versions", on("versions", self._versions)),
            HttpRoute(v, on("versions", self._details)),
            HttpRoute(
                f"{v}/credentials",
                on("credentials", self.registrar.handle),
                ("GET", "POST", "PUT", "DELETE"),
            ),
            HttpRoute(
                f"{v}/locations{obj}" + "{rest:path}",
                on("locations", mod.locations),
                ("GET", "PUT", "PATCH"),
            ),
            HttpRoute(
                f"{v}/sessions{obj}",
                on("sessions", mod.sessions),
                ("GET", "PUT", "PATCH"),
            ),
            HttpRoute(f"{v}/cdrs", on("cdrs", mod.post_cdr), ("POST",)),
            HttpRoute(f"{v}/cdrs{obj}", on("cdrs", mod.get_cdr)),
            HttpRoute(
                f"{v}/tariffs{obj}",
                on("tariffs", mod.tariffs),
                ("GET", "PUT", "DELETE"),
            ),
            HttpRoute(f"{v}/tokens", on("tokens", self.tokens.list)),
            HttpRoute(
                v + "/commands/{kind}/{cid}",
                on("commands", mod.command_result),
                ("POST",),
            ),
            HttpRoute(
                v + "/tokens/{uid}/authorize",
                on("tokens", self.tokens.authorize),
                ("POST",),
            ),
        ]

    @property
    def versions_url(self) -> str:
        """Our versions endpoint (give it to the CPO with token A)."""
        return f"{self.base_url}{PREFIX}/versions"

    @property
    def version_url(self) -> str:
        """Our 2.2.1 version details, the base of every module."""
        return f"{self.base_url}{PREFIX}/{VERSION}"

    def module_url(self, module: str) -> str:
        """Our endpoint for ``module``."""
        return f"{self.version_url}/{module}"

    def result_url(self, kind: CommandType, command_id: str) -> str:
        """Where a CPO POSTs the CommandResult of one command we sent."""
        return f"{self.module_url('commands')}/{kind.value}/{command_id}"

    def _credentials(self, token: str) -> Credentials:
        role = emsp_role(self.country_code, self.party_id, "Simulated eMSP")
        return Credentials(token=token, url=self.versions_url, roles=[role])

    async def _versions(
        self, call: Call, reg: Registration | None, body: object
    ) -> Answer:
        return versions.versions(self.version_url)

    async def _details(
        self, call: Call, reg: Registration | None, body: object
    ) -> Answer:
        return versions.details(self.version_url)
