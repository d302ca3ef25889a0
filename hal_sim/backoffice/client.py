"""The simulated eMSP's calls to a CPO over HTTP: the only httpx importer in hal_sim.

A test peer of its own, written apart from the controller's client on purpose: a
mistake there must not be mirrored here, where it would go unseen. Every request
carries ``Authorization: Token <base64(token)>``, a fresh ``X-Request-ID`` and
``X-Correlation-ID`` and, for functional modules, the ``OCPI-from-*``/
``OCPI-to-*`` routing headers. Redirects are not followed. Every answer is
unwrapped from its OCPI envelope; anything else is one of the :class:`PeerError`
exceptions below, raised ``from`` the httpx error.
"""

from __future__ import annotations

import base64
import json
import ssl
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

import httpx
from pydantic import TypeAdapter, ValidationError

from edge.ocpi import describe_validation_error

T = TypeVar("T")


class PeerError(Exception):
    """A call to the CPO failed; :attr:`reason` says how."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class PeerTransportError(PeerError):
    """No HTTP answer: refused, reset, timed out, TLS not trusted."""


class PeerHttpError(PeerError):
    """An HTTP status other than 2xx (with the envelope's code, if one came)."""

    def __init__(
        self,
        reason: str,
        http_status: int,
        ocpi_status: int | None = None,
        ocpi_message: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.http_status = http_status
        self.ocpi_status = ocpi_status
        self.ocpi_message = ocpi_message


class PeerStatusError(PeerError):
    """HTTP 2xx with an OCPI status outside 1xxx."""

    def __init__(self, reason: str, status_code: int, message: str | None) -> None:
        super().__init__(reason)
        self.status_code = status_code
        self.message = message


class MalformedReply(PeerError):
    """HTTP 2xx but no OCPI envelope, or data that is not what was asked for."""


@dataclass(frozen=True)
class Party:
    """An OCPI party: country code and party id."""

    country_code: str
    party_id: str


@dataclass(frozen=True)
class Route:
    """Routing headers of a functional-module request: from us, to the CPO."""

    sender: Party
    receiver: Party


@dataclass(frozen=True)
class Reply:
    """A 1xxx OCPI answer, unwrapped; ``data`` is raw JSON."""

    data: object
    http_status: int
    status_code: int
    status_message: str | None
    next_url: str | None
    total_count: int | None
    limit: int | None

    def data_as(self, adapter: TypeAdapter[T], what: str) -> T:
        """``data`` validated as ``what``."""
        try:
            return adapter.validate_python(self.data)
        except ValidationError as exc:
            detail = describe_validation_error(exc, root=what).replace("\n", "; ")
            raise MalformedReply(f"data is not a valid {what}: {detail}") from exc


def _header_int(headers: httpx.Headers, name: str) -> int | None:
    value = headers.get(name, "").strip()
    return int(value) if value.isdigit() else None


def _int_code(body: object) -> int | None:
    code = body.get("status_code") if isinstance(body, dict) else None
    return code if isinstance(code, int) and not isinstance(code, bool) else None


class PeerClient:
    """One httpx client for the backoffice's calls (callbacks, pulls, pushes)."""

    def __init__(
        self, *, timeout_s: float = 5.0, verify: ssl.SSLContext | None = None
    ) -> None:
        self._http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s),
            verify=verify if verify is not None else ssl.create_default_context(),
            follow_redirects=False,
            headers={"Accept": "application/json"},
        )

    async def aclose(self) -> None:
        """Close the connections."""
        await self._http.aclose()

    async def call(
        self,
        method: str,
        url: str,
        *,
        token: str,
        body: object = None,
        params: Mapping[str, str] | None = None,
        route: Route | None = None,
    ) -> Reply:
        """One OCPI request; the 1xxx reply, or a :class:`PeerError`."""
        where = f"{method} {url}"
        headers = {
            "Authorization": "Token " + base64.b64encode(token.encode()).decode(),
            "X-Request-ID": str(uuid.uuid4()),
            "X-Correlation-ID": str(uuid.uuid4()),
        }
        if route is not None:
            for side, party in (("from", route.sender), ("to", route.receiver)):
                headers[f"OCPI-{side}-country-code"] = party.country_code
                headers[f"OCPI-{side}-party-id"] = party.party_id
        content = None
        if body is not None:
            content = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        try:
            response = await self._http.request(
                method, url, content=content, params=params, headers=headers
            )
        except httpx.HTTPError as exc:
            raise PeerTransportError(f"{where}: {exc!r}") from exc
        except httpx.InvalidURL as exc:
            raise PeerTransportError(f"{where}: invalid URL ({exc})") from exc
        return _unwrap(where, response)


def _unwrap(where: str, response: httpx.Response) -> Reply:
    status = response.status_code
    try:
        body: object = json.loads(response.content)
    except ValueError:
        body = None
    code = _int_code(body)
    message = body.get("status_message") if isinstance(body, dict) else None
    message = message if isinstance(message, str) else None
    if not 200 <= status < 300:
        raise PeerHttpError(f"{where}: HTTP {status}", status, code, message)
    if code is None or not isinstance(body, dict):
        raise MalformedReply(f"{where}: HTTP {status} without an OCPI envelope")
    if not 1000 <= code < 2000:
        raise PeerStatusError(
            f"{where}: OCPI status {code}" + (f" ({message})" if message else ""),
            code,
            message,
        )
    target = response.links.get("next", {}).get("url")
    return Reply(
        data=body.get("data"),
        http_status=status,
        status_code=code,
        status_message=message,
        next_url=str(response.request.url.join(target)) if target else None,
        total_count=_header_int(response.headers, "x-total-count"),
        limit=_header_int(response.headers, "x-limit"),
    )
