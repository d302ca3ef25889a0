"""The controller's own OCPI endpoints: versions, version details, credentials.

During registration the backoffice calls these back with token B (OCPI 2.2.1
*Credentials*, step 4), so they are served before the handshake starts and accept
the pending token B as well as the stored one. Only what is implemented is
published in the version details. Registration is always started by this
controller (we are the Sender of the credentials module): POST, PUT and DELETE on
our credentials endpoint answer 405.

Run it with :func:`edge.uplink.ocpi.asgi.serving`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from edge.model.clock import Clock
from edge.uplink.ocpi.models import (
    Credentials,
    CredentialsRole,
    Endpoint,
    InterfaceRole,
    ModuleID,
    Version,
    VersionDetails,
    VersionNumber,
)
from edge.uplink.ocpi.wire import authorized, envelope

log = logging.getLogger(__name__)
VERSION = "2.2.1"
PREFIX = "/ocpi/cpo"


class CpoServer:
    """The ASGI app and what it needs to answer: our URL, roles and tokens."""

    def __init__(
        self,
        clock: Clock,
        roles: list[CredentialsRole],
        accepted_tokens: Callable[[], Collection[str]],
        *,
        accept_raw_token: bool = True,
    ) -> None:
        self.clock = clock
        self.roles = roles
        self.accepted_tokens = accepted_tokens
        self.accept_raw_token = accept_raw_token
        self.public_url = ""
        """Base URL the backoffice reaches us at, set once the socket is bound."""
        self.app = Starlette(
            routes=[
                Route(f"{PREFIX}/versions", self.versions, methods=["GET"]),
                Route(f"{PREFIX}/{VERSION}", self.details, methods=["GET"]),
                Route(
                    f"{PREFIX}/{VERSION}/credentials",
                    self.credentials,
                    methods=["GET", "POST", "PUT", "DELETE"],
                ),
            ]
        )

    @property
    def versions_url(self) -> str:
        """Our versions endpoint: the URL in the credentials we send."""
        return f"{self.public_url}{PREFIX}/versions"

    def _deny(self, request: Request) -> Response | None:
        token = authorized(request, self.accepted_tokens(), self.accept_raw_token)
        if token is not None:
            return None
        log.warning(
            "refused %s %s: unknown or missing credentials token",
            request.method,
            request.url.path,
        )
        return envelope(
            self.clock.utcnow(),
            status_code=2000,
            message="unknown or missing credentials token",
            http_status=401,
            request=request,
        )

    async def versions(self, request: Request) -> Response:
        """``GET versions``: the versions we implement."""
        if denied := self._deny(request):
            return denied
        data = [
            Version(
                version=VersionNumber(VERSION),
                url=f"{self.public_url}{PREFIX}/{VERSION}",
            ).model_dump_ocpi()
        ]
        return envelope(self.clock.utcnow(), data, request=request)

    async def details(self, request: Request) -> Response:
        """``GET version details``: the endpoints we serve."""
        if denied := self._deny(request):
            return denied
        details = VersionDetails(
            version=VersionNumber(VERSION),
            endpoints=[
                Endpoint(
                    identifier=ModuleID.CREDENTIALS,
                    role=InterfaceRole.SENDER,
                    url=f"{self.public_url}{PREFIX}/{VERSION}/credentials",
                )
            ],
        )
        return envelope(self.clock.utcnow(), details.model_dump_ocpi(), request=request)

    async def credentials(self, request: Request) -> Response:
        """``GET credentials``: how to call us; other methods: 405."""
        if denied := self._deny(request):
            return denied
        if request.method != "GET":
            return envelope(
                self.clock.utcnow(),
                status_code=2000,
                message="registration is started by this CPO, not by the peer",
                http_status=405,
                request=request,
            )
        token = authorized(request, self.accepted_tokens(), self.accept_raw_token)
        creds = Credentials(token=token or "", url=self.versions_url, roles=self.roles)
        return envelope(self.clock.utcnow(), creds.model_dump_ocpi(), request=request)
