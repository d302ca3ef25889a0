"""The controller's own OCPI endpoints: configuration and functional modules.

Versions, version details and credentials are built in; the uplink adds the
functional modules with :meth:`CpoServer.serve`.

During registration the backoffice calls these back with token B (OCPI 2.2.1
*Credentials*, step 4), so they are served before the handshake starts and accept
the pending token B as well as the stored one. Only what is implemented is
published in the version details. Registration is always started by this
controller (we are the Sender of the credentials module): POST, PUT and DELETE on
our credentials endpoint answer 405.

Functional modules (Sender interfaces, Tokens and Commands receivers) accept only
the registered token B (``functional_tokens``), answer with the routing headers,
and turn a handler's :class:`~edge.uplink.ocpi.answer.Refused` into its OCPI
error; any other exception is logged and answered with OCPI 3000, never
crashing the server.

Order of refusals, so that a caller without a token learns nothing about us
(not which paths exist, nor how large a body may be): a request that presents
none of the tokens we accept is HTTP 401 (OCPI 2000) whatever its path; then an
unknown path is HTTP 404 (OCPI 2001) and a method the path does not take HTTP 405
(OCPI 2000), both in the envelope; then a functional module refuses a token B
that is only pending (401). Repeated refusals are logged once per minute with a
count (:mod:`edge.logthrottle`).

Run it with :func:`edge.uplink.ocpi.asgi.serving`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from edge.logthrottle import Throttle
from edge.model.clock import Clock
from edge.uplink.ocpi.answer import Answer, Refused, shown
from edge.uplink.ocpi.client import Party
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
quiet = Throttle(log)
VERSION = "2.2.1"
PREFIX = "/ocpi/cpo"
Handler = Callable[[Request], Awaitable[Answer]]


class CpoServer:
    """The ASGI app and what it needs to answer: our URL, roles and tokens."""

    def __init__(
        self,
        clock: Clock,
        roles: list[CredentialsRole],
        accepted_tokens: Callable[[], Collection[str]],
        *,
        accept_raw_token: bool = True,
        functional_tokens: Callable[[], Collection[str]] | None = None,
        party: Party | None = None,
    ) -> None:
        self.clock = clock
        self.roles = roles
        self.accepted_tokens = accepted_tokens
        self.functional_tokens = functional_tokens or accepted_tokens
        self.accept_raw_token = accept_raw_token
        self.party = party
        self.served: list[tuple[ModuleID, InterfaceRole]] = []
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
            ],
            exception_handlers={HTTPException: self._http_error},
        )
        # No redirect from a path with a trailing slash: it would tell a caller
        # without a token which paths exist.
        self.app.router.redirect_slashes = False

    @property
    def versions_url(self) -> str:
        """Our versions endpoint: the URL in the credentials we send."""
        return f"{self.public_url}{PREFIX}/versions"

    def module_url(self, module: ModuleID) -> str:
        """Our URL of a module."""
        return f"{self.public_url}{PREFIX}/{VERSION}/{module.value}"

    def serve(
        self,
        module: ModuleID,
        role: InterfaceRole,
        routes: Sequence[tuple[str, Handler, Sequence[str]]],
        *,
        publish: bool = True,
    ) -> None:
        """Serve a functional module and publish it in the version details.

        ``routes``: path below the module's URL, handler, methods. Call before
        the app is served. ``publish=False`` serves without publishing.
        """
        base = f"{PREFIX}/{VERSION}/{module.value}"
        for path, handler, methods in routes:
            self.app.router.routes.append(
                Route(base + path, self._functional(handler), methods=list(methods))
            )
        if publish:
            self.served.append((module, role))

    def _functional(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        name = getattr(handler, "__qualname__", repr(handler))

        async def endpoint(request: Request) -> Response:
            if denied := self._deny(request, self.functional_tokens()):
                return denied
            try:
                answer = await handler(request)
            except Refused as refused:
                answer = refused.answer
            except ClientDisconnect:
                quiet.log(logging.INFO, "gone", "a client left amid its request")
                answer = Answer(2000, "the client left", http_status=400)
            except Exception as exc:  # noqa: BLE001 - logged with its traceback
                quiet.log(
                    logging.ERROR,
                    ("failed", name),
                    "%s %s failed",
                    request.method,
                    request.url.path,
                    exc_info=exc,
                )
                answer = Answer(3000, "internal error", http_status=500)
            if answer.status_code != 1000:
                log.info(
                    "%s %s -> %s %s",
                    request.method,
                    request.url.path,
                    answer.status_code,
                    answer.message,
                )
            return envelope(
                self.clock.utcnow(),
                answer.data,
                status_code=answer.status_code,
                message=answer.message,
                http_status=answer.http_status,
                request=request,
                headers={**answer.headers, **self._routing(request)},
            )

        return endpoint

    def _routing(self, request: Request) -> dict[str, str]:
        """Routing headers of our answer: from us, to whoever asked."""
        out: dict[str, str] = {}
        if self.party is not None:
            out["OCPI-from-country-code"] = self.party.country_code
            out["OCPI-from-party-id"] = self.party.party_id
        h = request.headers
        if h.get("ocpi-from-country-code") and h.get("ocpi-from-party-id"):
            out["OCPI-to-country-code"] = h["ocpi-from-country-code"]
            out["OCPI-to-party-id"] = h["ocpi-from-party-id"]
        return out

    def _deny(
        self, request: Request, known: Collection[str] | None = None
    ) -> Response | None:
        tokens = self.accepted_tokens() if known is None else known
        token = authorized(request, tokens, self.accept_raw_token)
        if token is not None:
            return None
        quiet.log(
            logging.WARNING,
            "refused",
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

    def _any_token(self) -> set[str]:
        return {*self.accepted_tokens(), *self.functional_tokens()}

    async def _http_error(self, request: Request, exc: Exception) -> Response:
        """Unknown path (404) or method (405): after the token check, in an envelope."""
        if denied := self._deny(request, self._any_token()):
            return denied
        assert isinstance(exc, HTTPException)  # noqa: S101 - registered for it
        if exc.status_code == 404:
            code, message = 2001, f"no OCPI endpoint at {shown(request.url.path)}"
        elif exc.status_code == 405:
            code = 2000
            message = f"{shown(request.method)} is not allowed on this endpoint"
        else:
            code, message = 2000, exc.detail
        return envelope(
            self.clock.utcnow(),
            status_code=code,
            message=message,
            http_status=exc.status_code,
            request=request,
            headers=dict(exc.headers or {}),
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
                    url=self.module_url(ModuleID.CREDENTIALS),
                ),
                *(
                    Endpoint(identifier=m, role=r, url=self.module_url(m))
                    for m, r in self.served
                ),
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
