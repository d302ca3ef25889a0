"""A strict OCPI 2.2.1 eMSP backoffice as an ASGI app (Starlette).

Every request goes through one pipeline: injected latency and faults, the
credentials token (``Token base64(token)``; token A only on versions and
credentials, and only until registration succeeds), ``X-Request-ID`` and
``X-Correlation-ID`` present, routing headers present and right on functional
modules and absent on configuration modules, a JSON body with its content type;
then the module's handler (:mod:`hal_sim.backoffice.receivers`,
:mod:`hal_sim.backoffice.registration`, :mod:`hal_sim.backoffice.tokens`), the
envelope, and a line in the log.
"""

from __future__ import annotations

import json
import logging
import ssl
from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from edge.model.clock import Clock
from edge.ocpi import (
    CommandResult,
    CommandType,
    Credentials,
    Endpoint,
    InterfaceRole,
    ModuleID,
    Token,
    Version,
    VersionDetails,
    VersionNumber,
)
from edge.uplink.ocpi.client import OcpiClient
from edge.uplink.ocpi.wire import authorized, envelope
from hal_sim.backoffice import receivers as rx
from hal_sim.backoffice.faults import Faults, stamp
from hal_sim.backoffice.registration import Registrar, emsp_role
from hal_sim.backoffice.state import BackofficeState, Registration
from hal_sim.backoffice.tokens import TokenList

log = logging.getLogger(__name__)
PREFIX = "/ocpi/emsp"
VERSION = "2.2.1"
FUNCTIONAL = ("locations", "sessions", "cdrs", "tariffs", "tokens", "commands")
Handler = Callable[[Request, Registration | None, object], Awaitable[rx.Answer]]


class Backoffice:
    """The simulated eMSP: state, faults and the ASGI app."""

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
        self.accept_raw_token = accept_raw_token
        self.state = BackofficeState(token_a)
        self.faults = Faults()
        self.base_url = "http://127.0.0.1"
        """Where CPOs reach us (the proxy in front, once started)."""
        self.client = OcpiClient(timeout_s=callback_timeout_s, verify=verify)
        """Calls the CPOs (``verify``: the CAs their TLS certificates chain to)."""
        self.registrar = Registrar(self.state, self.client, self._credentials)
        self.tokens = TokenList(self.state, clock, page_limit, tokens or [])
        v = f"{PREFIX}/{VERSION}"
        self.app = Starlette(
            routes=[
                Route(f"{PREFIX}/versions", self._route("versions", self._versions)),
                Route(v, self._route("versions", self._details)),
                Route(
                    f"{v}/credentials",
                    self._route("credentials", self._creds),
                    methods=["GET", "POST", "PUT", "DELETE"],
                ),
                Route(
                    v + "/locations/{cc}/{pid}/{oid}{rest:path}",
                    self._route("locations", self._locations),
                    methods=["GET", "PUT", "PATCH"],
                ),
                Route(
                    v + "/sessions/{cc}/{pid}/{oid}",
                    self._route("sessions", self._sessions),
                    methods=["GET", "PUT", "PATCH"],
                ),
                Route(f"{v}/cdrs", self._route("cdrs", self._cdrs), methods=["POST"]),
                Route(
                    v + "/cdrs/{cc}/{pid}/{oid}",
                    self._route("cdrs", self._cdr_get),
                    methods=["GET"],
                ),
                Route(
                    v + "/tariffs/{cc}/{pid}/{oid}",
                    self._route("tariffs", self._tariffs),
                    methods=["GET", "PUT", "DELETE"],
                ),
                Route(f"{v}/tokens", self._route("tokens", self.tokens.list)),
                Route(
                    v + "/commands/{kind}/{cid}",
                    self._route("commands", self._command_result),
                    methods=["POST"],
                ),
                Route(
                    v + "/tokens/{uid}/authorize",
                    self._route("tokens", self.tokens.authorize),
                    methods=["POST"],
                ),
            ]
        )

    @property
    def versions_url(self) -> str:
        """Our versions endpoint (give it to the CPO with token A)."""
        return f"{self.base_url}{PREFIX}/versions"

    def module_url(self, module: str) -> str:
        """Our endpoint for ``module``."""
        return f"{self.base_url}{PREFIX}/{VERSION}/{module}"

    def result_url(self, kind: CommandType, command_id: str) -> str:
        """Where a CPO POSTs the CommandResult of one command we sent."""
        return f"{self.module_url('commands')}/{kind.value}/{command_id}"

    def _credentials(self, token: str) -> Credentials:
        role = emsp_role(self.country_code, self.party_id, "Simulated eMSP")
        return Credentials(token=token, url=self.versions_url, roles=[role])

    # ---- the pipeline ------------------------------------------------------------
    def _route(
        self, module: str, handler: Handler
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            await self.faults.delay()
            injection = self.faults.take(module)
            if injection is not None and not injection.after:
                return await self.faults.answer(injection, stamp(self.clock))
            response = await self._handle(request, module, handler)
            if injection is not None:
                return await self.faults.answer(injection, stamp(self.clock))
            return response

        return endpoint

    def _caller(
        self, request: Request, module: str
    ) -> tuple[bool, Registration | None]:
        known = set(self.state.registrations)
        a_valid = not self.state.token_a_used and module in ("versions", "credentials")
        if a_valid:
            known.add(self.state.token_a)
        token = authorized(request, known, self.accept_raw_token)
        if token is None:
            return False, None
        return True, self.state.registrations.get(token)

    def _check_headers(
        self, request: Request, module: str, reg: Registration | None
    ) -> None:
        h = request.headers
        for name in ("x-request-id", "x-correlation-id"):
            if not h.get(name):
                raise rx.Refused(rx.bad(f"missing header {name}"))
        routing = [
            h.get(f"ocpi-{d}-{f}")
            for d in ("from", "to")
            for f in ("country-code", "party-id")
        ]
        if module not in FUNCTIONAL:
            if any(routing):
                raise rx.Refused(rx.bad("routing headers are not used on " + module))
            return
        fcc, fpid, tcc, tpid = routing
        if not (fcc and fpid and tcc and tpid):
            raise rx.Refused(rx.bad("missing OCPI-from/OCPI-to routing headers"))
        if reg is None or not reg.owns(fcc, fpid):
            raise rx.Refused(
                rx.bad(f"OCPI-from {fcc}*{fpid} is not a registered party")
            )
        if (tcc.upper(), tpid.upper()) != (self.country_code, self.party_id):
            raise rx.Refused(rx.Answer(4001, f"unknown receiver {tcc}*{tpid}"))

    async def _body(self, request: Request) -> object:
        if request.method not in ("POST", "PUT", "PATCH"):
            return None
        raw = await request.body()
        if not raw and request.method == "POST":
            return None
        ctype = request.headers.get("content-type", "")
        if not ctype.startswith("application/json"):
            raise rx.Refused(
                rx.bad(f"Content-Type must be application/json, not {ctype!r}")
            )
        try:
            return json.loads(raw)
        except ValueError as exc:
            raise rx.Refused(
                rx.Answer(2001, "body is not JSON", http_status=400)
            ) from exc

    async def _handle(
        self, request: Request, module: str, handler: Handler
    ) -> Response:
        ok, reg = self._caller(request, module)
        if not ok or (module in FUNCTIONAL and reg is None):
            return envelope(
                self.clock.utcnow(),
                status_code=2000,
                http_status=401,
                message="unknown or missing credentials token",
                request=request,
            )
        body: object = None
        try:
            self._check_headers(request, module, reg)
            body = await self._body(request)
            answer = await handler(request, reg, body)
        except rx.Refused as refused:
            answer = refused.answer
        key = request.url.path.split(f"/{module}", 1)[-1].lstrip("/")
        key = (key + (f"?{request.url.query}" if request.url.query else "")) or "-"
        self.state.record(
            request.method,
            module,
            key,
            answer.http_status,
            answer.status_code,
            answer.message,
            self.clock.utcnow(),
            _object_id(request, body),
            dict(request.headers),
        )
        if answer.status_code != 1000:
            log.info(
                "%s %s -> %s %s",
                request.method,
                request.url.path,
                answer.status_code,
                answer.message,
            )
        headers = dict(answer.headers)
        if module in FUNCTIONAL:
            headers.update(
                {
                    "OCPI-from-country-code": self.country_code,
                    "OCPI-from-party-id": self.party_id,
                    "OCPI-to-country-code": request.headers.get(
                        "ocpi-from-country-code", ""
                    ),
                    "OCPI-to-party-id": request.headers.get("ocpi-from-party-id", ""),
                }
            )
        return envelope(
            self.clock.utcnow(),
            answer.data,
            status_code=answer.status_code,
            message=answer.message,
            http_status=answer.http_status,
            request=request,
            headers=headers,
        )

    # ---- configuration modules -------------------------------------------------------
    async def _versions(
        self, request: Request, reg: Registration | None, body: object
    ) -> rx.Answer:
        data = [
            Version(
                version=VersionNumber(VERSION), url=f"{self.base_url}{PREFIX}/{VERSION}"
            ).model_dump_ocpi()
        ]
        return rx.Answer(data=data)

    async def _details(
        self, request: Request, reg: Registration | None, body: object
    ) -> rx.Answer:
        receivers = (
            ModuleID.LOCATIONS,
            ModuleID.SESSIONS,
            ModuleID.CDRS,
            ModuleID.TARIFFS,
        )
        endpoints = [
            Endpoint(
                identifier=ModuleID.CREDENTIALS,
                role=InterfaceRole.SENDER,
                url=self.module_url("credentials"),
            )
        ]
        endpoints += [
            Endpoint(
                identifier=m, role=InterfaceRole.RECEIVER, url=self.module_url(m.value)
            )
            for m in receivers
        ]
        endpoints.append(
            Endpoint(
                identifier=ModuleID.TOKENS,
                role=InterfaceRole.SENDER,
                url=self.module_url("tokens"),
            )
        )
        details = VersionDetails(version=VersionNumber(VERSION), endpoints=endpoints)
        return rx.Answer(data=details.model_dump_ocpi())

    async def _creds(
        self, request: Request, reg: Registration | None, body: object
    ) -> rx.Answer:
        if request.method == "POST":
            return await self.registrar.post(reg, body)
        if request.method == "PUT":
            return await self.registrar.put(reg, body)
        if request.method == "DELETE":
            return self.registrar.delete(reg)
        return self.registrar.get(reg.token_c if reg else self.state.token_a)

    # ---- functional modules --------------------------------------------------------
    @staticmethod
    def _key(request: Request) -> tuple[str, str, str]:
        p = request.path_params
        return (str(p["cc"]).upper(), str(p["pid"]).upper(), str(p["oid"]))

    @staticmethod
    def _get(
        store: dict[tuple[str, str, str], dict[str, object]],
        key: tuple[str, str, str],
        what: str,
    ) -> rx.Answer:
        found = store.get(key)
        if found is None:
            return rx.unknown(f"{what} {key[2]}")
        return rx.Answer(data=found)

    async def _locations(
        self, request: Request, reg: Registration | None, body: object
    ) -> rx.Answer:
        reg = _registered(reg)
        key = self._key(request)
        parts = [p for p in str(request.path_params["rest"]).split("/") if p]
        if len(parts) > 2:
            return rx.unknown("location path")
        if request.method == "GET":
            return self._get(self.state.locations, key, "location")
        if request.method == "PUT":
            return rx.put_location(self.state, reg, key, parts, body)
        return rx.patch_location(self.state, reg, key, parts, body)

    async def _sessions(
        self, request: Request, reg: Registration | None, body: object
    ) -> rx.Answer:
        reg = _registered(reg)
        key = self._key(request)
        if request.method == "GET":
            return self._get(self.state.sessions, key, "session")
        if request.method == "PUT":
            return rx.put_session(self.state, reg, key, body)
        return rx.patch_session(self.state, reg, key, body)

    async def _cdrs(
        self, request: Request, reg: Registration | None, body: object
    ) -> rx.Answer:
        reg = _registered(reg)
        return rx.post_cdr(self.state, reg, body, f"{self.base_url}{PREFIX}/{VERSION}")

    async def _cdr_get(
        self, request: Request, reg: Registration | None, body: object
    ) -> rx.Answer:
        return self._get(self.state.cdrs, self._key(request), "CDR")

    async def _tariffs(
        self, request: Request, reg: Registration | None, body: object
    ) -> rx.Answer:
        reg = _registered(reg)
        key = self._key(request)
        if request.method == "GET":
            return self._get(self.state.tariffs, key, "tariff")
        if request.method == "PUT":
            return rx.put_tariff(self.state, reg, key, body)
        return rx.delete_tariff(self.state, reg, key)

    async def _command_result(
        self, request: Request, reg: Registration | None, body: object
    ) -> rx.Answer:
        _registered(reg)
        kind = str(request.path_params["kind"])
        if kind not in {c.value for c in CommandType}:
            return rx.unknown(f"command type {kind}")
        result = rx.validated(CommandResult, body, "command_result")
        cid = str(request.path_params["cid"])
        self.state.command_results.setdefault(cid, []).append(result)
        return rx.Answer()


def _registered(reg: Registration | None) -> Registration:
    """Functional modules are only reached with token C (the pipeline checks)."""
    if reg is None:
        raise rx.Refused(rx.Answer(2000, "not registered", http_status=401))
    return reg


def _object_id(request: Request, body: object) -> str | None:
    """The object a request names: from the URL, or a POSTed CDR's body id."""
    p = request.path_params
    for name in ("oid", "cid", "uid"):
        if name in p:
            rest = [part for part in str(p.get("rest", "")).split("/") if part]
            return "/".join([str(p[name]), *rest])
    if isinstance(body, dict) and isinstance(body.get("id"), str):
        return str(body["id"])
    return None
