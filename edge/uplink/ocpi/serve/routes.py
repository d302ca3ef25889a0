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
and turn a handler's :class:`~edge.uplink.ocpi.serve.answer.Refused` into its OCPI
error; any other exception is logged and answered with OCPI 3000, never
crashing the server.

Order of refusals, so that a caller without a token learns nothing about us
(not which paths exist, nor how large a body may be) and costs us no body read:
a request that presents none of the tokens we accept is HTTP 401 (OCPI 2000)
whatever its path, before its body is read; then a body over ``max_body_bytes``
is HTTP 413 (OCPI 2000), refused on its ``Content-Length`` before reading, or
when the bytes read pass the bound (it is read in chunks, never more than the
bound held); then an unknown path is HTTP 404 (OCPI 2001) and a method the path
does not take HTTP 405 (OCPI 2000), both in the envelope; then a functional
module refuses a token B that is only pending (401). Repeated refusals are
logged once per minute with a count (:mod:`edge.logthrottle`).

Run it with :func:`edge.uplink.ocpi.serve.http_server.serving`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection, Sequence

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from edge.config.schema import OcpiSection
from edge.logthrottle import Throttle
from edge.model.clock import Clock
from edge.ocpi import (
    Credentials,
    CredentialsRole,
    Endpoint,
    InterfaceRole,
    ModuleID,
    Version,
    VersionDetails,
    VersionNumber,
)
from edge.ocpi.party import Party
from edge.uplink.ocpi.serve.answer import Answer, Refused, shown
from edge.uplink.ocpi.serve.bounded_uvicorn import Limits
from edge.uplink.ocpi.serve.token_and_envelope import authorized, envelope

log = logging.getLogger(__name__)
quiet = Throttle(log)
VERSION = "2.2.1"
PREFIX = "/ocpi/cpo"
MAX_BODY_BYTES = 1 << 20
"""Default bound of a request body (1 MiB; an OCPI object is a few KiB)."""
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
        max_body_bytes: int = MAX_BODY_BYTES,
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
            middleware=[Middleware(_Gate, server=self, max_body_bytes=max_body_bytes)],
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

    def refusal(self, http_status: int, message: str) -> bytes:
        """The body of a refusal made below the app (400, 503): an envelope."""
        code = 3000 if http_status >= 500 else 2000
        answer = envelope(self.clock.utcnow(), status_code=code, message=message)
        return bytes(answer.body)

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


def server_limits(section: OcpiSection) -> Limits:
    """What one client may hold of our server, from the site file's [ocpi]."""
    return Limits(
        header_timeout_s=section.header_timeout_s,
        body_timeout_s=section.body_timeout_s,
        keepalive_s=section.keepalive_timeout_s,
        max_connections=section.max_connections,
        backlog=section.listen_backlog,
    )


class _Gate:
    """ASGI middleware: the token check, then the body bound, then the app.

    The body is read here, in the chunks the server delivers, and handed to the
    app whole; a client that leaves meanwhile gets no answer.
    """

    def __init__(self, app: ASGIApp, *, server: CpoServer, max_body_bytes: int) -> None:
        self.app = app
        self.server = server
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        srv = self.server
        request = Request(scope)
        if denied := srv._deny(request, srv._any_token()):
            await denied(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > self.max_body_bytes:
            await self._too_large(request, scope, receive, send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client left: nobody to answer
            chunk = bytes(message.get("body", b""))
            size += len(chunk)
            if size > self.max_body_bytes:
                await self._too_large(request, scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body, replayed = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _too_large(
        self, request: Request, scope: Scope, receive: Receive, send: Send
    ) -> None:
        quiet.log(
            logging.WARNING,
            "too large",
            "refused %s %s: body over %d bytes",
            request.method,
            request.url.path,
            self.max_body_bytes,
        )
        answer = envelope(
            self.server.clock.utcnow(),
            status_code=2000,
            message=f"the request body is over {self.max_body_bytes} bytes",
            http_status=413,
            request=request,
        )
        await answer(scope, receive, send)
