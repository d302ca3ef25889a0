"""The path every OCPI request to the simulated eMSP takes, strict at each step.

Injected latency and faults first; then the credentials token (``Token
base64(token)``; token A only on versions and credentials, and only until
registration succeeds), ``X-Request-ID`` and ``X-Correlation-ID`` present,
routing headers present and right on functional modules and absent on
configuration modules, a JSON body with its content type; then the module's
handler, the envelope, and a line in the reception log.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from edge.model.clock import Clock
from hal_sim.backoffice import receivers as rx
from hal_sim.backoffice.exchange import Call, Endpoint, Raw, envelope, presented_tokens
from hal_sim.backoffice.faults import Faults, stamp
from hal_sim.backoffice.state import BackofficeState, Registration

log = logging.getLogger(__name__)
FUNCTIONAL = ("locations", "sessions", "cdrs", "tariffs", "tokens", "commands")
Handler = Callable[[Call, Registration | None, object], Awaitable[rx.Answer]]


@dataclass
class Pipeline:
    """Checks, faults, log and envelope around each module's handler."""

    state: BackofficeState
    faults: Faults
    clock: Clock
    country_code: str
    party_id: str
    accept_raw_token: bool = False

    def route(self, module: str, handler: Handler) -> Endpoint:
        """The endpoint serving ``handler`` for ``module``."""

        async def endpoint(call: Call) -> Raw:
            await self.faults.delay()
            injection = self.faults.take(module)
            if injection is not None and not injection.after:
                return await self.faults.answer(injection, stamp(self.clock))
            answer = await self._handle(call, module, handler)
            if injection is not None:
                return await self.faults.answer(injection, stamp(self.clock))
            return answer

        return endpoint

    def _caller(self, call: Call, module: str) -> tuple[bool, Registration | None]:
        known = set(self.state.registrations)
        if not self.state.token_a_used and module in ("versions", "credentials"):
            known.add(self.state.token_a)
        for token in presented_tokens(
            call.header("authorization"), self.accept_raw_token
        ):
            if token in known:
                return True, self.state.registrations.get(token)
        return False, None

    def _check_headers(self, call: Call, module: str, reg: Registration | None) -> None:
        for name in ("x-request-id", "x-correlation-id"):
            if not call.header(name):
                raise rx.Refused(rx.bad(f"missing header {name}"))
        routing = [
            call.header(f"ocpi-{d}-{f}")
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

    @staticmethod
    def _body(call: Call) -> object:
        if call.method not in ("POST", "PUT", "PATCH"):
            return None
        if not call.body and call.method == "POST":
            return None
        ctype = call.header("content-type")
        if not ctype.startswith("application/json"):
            raise rx.Refused(
                rx.bad(f"Content-Type must be application/json, not {ctype!r}")
            )
        try:
            return call.json()
        except ValueError as exc:
            raise rx.Refused(
                rx.Answer(2001, "body is not JSON", http_status=400)
            ) from exc

    async def _handle(self, call: Call, module: str, handler: Handler) -> Raw:
        ok, reg = self._caller(call, module)
        if not ok or (module in FUNCTIONAL and reg is None):
            return envelope(
                self.clock.utcnow(),
                status_code=2000,
                http_status=401,
                message="unknown or missing credentials token",
                call=call,
            )
        body: object = None
        try:
            self._check_headers(call, module, reg)
            body = self._body(call)
            answer = await handler(call, reg, body)
        except rx.Refused as refused:
            answer = refused.answer
        self._record(call, module, body, answer)
        headers = dict(answer.headers)
        if module in FUNCTIONAL:
            headers.update(
                {
                    "OCPI-from-country-code": self.country_code,
                    "OCPI-from-party-id": self.party_id,
                    "OCPI-to-country-code": call.header("ocpi-from-country-code"),
                    "OCPI-to-party-id": call.header("ocpi-from-party-id"),
                }
            )
        return envelope(
            self.clock.utcnow(),
            answer.data,
            status_code=answer.status_code,
            message=answer.message,
            http_status=answer.http_status,
            call=call,
            headers=headers,
        )

    def _record(self, call: Call, module: str, body: object, answer: rx.Answer) -> None:
        key = call.path.split(f"/{module}", 1)[-1].lstrip("/")
        key = (key + (f"?{call.query_string}" if call.query_string else "")) or "-"
        self.state.record(
            call.method,
            module,
            key,
            answer.http_status,
            answer.status_code,
            answer.message,
            self.clock.utcnow(),
            _object_id(call, body),
            dict(call.headers),
        )
        if answer.status_code != 1000:
            log.info(
                "%s %s -> %s %s",
                call.method,
                call.path,
                answer.status_code,
                answer.message,
            )


def registered(reg: Registration | None) -> Registration:
    """Functional modules are only reached with token C (the pipeline checks)."""
    if reg is None:
        raise rx.Refused(rx.Answer(2000, "not registered", http_status=401))
    return reg


def _object_id(call: Call, body: object) -> str | None:
    """The object a request names: from the URL, or a POSTed CDR's body id."""
    p = call.path_params
    for name in ("oid", "cid", "uid"):
        if name in p:
            rest = [part for part in str(p.get("rest", "")).split("/") if part]
            return "/".join([str(p[name]), *rest])
    if isinstance(body, dict) and isinstance(body.get("id"), str):
        return str(body["id"])
    return None
