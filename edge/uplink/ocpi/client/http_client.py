"""OCPI over HTTP: the only module that imports httpx.

One :class:`OcpiClient` per peer connection. Every request carries
``Authorization: Token <base64(token)>`` (OCPI 2.2.1; raw tokens for 2.1.1/2.2
peers by configuration), a fresh ``X-Request-ID``, an ``X-Correlation-ID`` and,
for functional modules, the ``OCPI-from-*``/``OCPI-to-*`` routing headers.
Before anything is sent, the ``guard`` (if given) sees the URL and the token and
may refuse (:class:`~edge.uplink.ocpi.client.failures.DestinationRefused`);
redirects are never followed, so no token reaches a host the guard did not see.
TLS peers are verified against ``verify`` (default: the system trust store). Every
answer is unwrapped from the OCPI envelope; anything else becomes one of the
exceptions in :mod:`edge.uplink.ocpi.client.failures`, raised ``from`` the httpx
error, so no httpx type leaves this module.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import ssl
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import TypeVar

import httpx
from pydantic import TypeAdapter, ValidationError

from edge.ocpi import describe_validation_error, parse_ocpi_datetime
from edge.ocpi.party import Party
from edge.uplink.ocpi.client.failures import (
    DestinationRefused,
    HttpStatusError,
    MalformedResponse,
    OcpiStatusError,
    RequestTimeout,
    TransportError,
)

log = logging.getLogger(__name__)
logging.getLogger("httpx").setLevel(logging.WARNING)  # our DEBUG line replaces its INFO
T = TypeVar("T")
Guard = Callable[[str, str], str | None]
"""(url, token) -> why the request may not be sent, or None."""

_SHOWN = 80


class Method(StrEnum):
    """The HTTP methods the uplink sends."""

    GET = "GET"
    POST = "POST"
    PUT = "PUT"
    PATCH = "PATCH"
    DELETE = "DELETE"


@dataclass(frozen=True)
class Route:
    """Routing headers of a functional-module request (from us, to the peer)."""

    sender: Party
    receiver: Party | None = None


@dataclass(frozen=True)
class Reply:
    """A successful (1xxx) OCPI response, unwrapped; ``data`` is raw JSON."""

    data: object
    http_status: int
    status_code: int
    status_message: str | None
    timestamp: datetime | None
    next_url: str | None
    total_count: int | None
    limit: int | None
    location: str | None
    request_id: str

    def data_as(self, adapter: TypeAdapter[T], what: str) -> T:
        """Validate ``data`` as ``what``; a mismatch is a malformed answer."""
        try:
            return adapter.validate_python(self.data)
        except ValidationError as exc:
            detail = describe_validation_error(exc, root=what).replace("\n", "; ")
            raise MalformedResponse(
                f"data is not a valid {what}: {detail}", self.http_status
            ) from exc


def authorization(token: str, base64_token: bool = True) -> str:
    """The ``Authorization`` header value for a credentials token."""
    if not base64_token:
        return f"Token {token}"
    return "Token " + base64.b64encode(token.encode("utf-8")).decode("ascii")


def _int_header(headers: httpx.Headers, name: str) -> int | None:
    value = headers.get(name)
    try:
        return None if value is None else int(value.strip())
    except ValueError:
        return None


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
        served = parsedate_to_datetime(headers.get("date", ""))
    except (TypeError, ValueError, IndexError):
        return None  # an HTTP-date needs the answer's own Date to be relative
    return max(0.0, (when - served).total_seconds())


def _untrusted_certificate(exc: BaseException) -> str | None:
    """The verification message if ``exc`` was caused by an untrusted certificate."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLCertVerificationError):
            return seen.verify_message or str(seen)
        seen = seen.__cause__ or seen.__context__
    return None


def _shown(content: bytes) -> str:
    text = content[:_SHOWN].decode("utf-8", "replace").replace("\n", " ")
    return repr(text + ("..." if len(content) > _SHOWN else ""))


def _status_code(body: object) -> int | None:
    if not isinstance(body, dict):
        return None
    code = body.get("status_code")
    return code if isinstance(code, int) and not isinstance(code, bool) else None


class OcpiClient:
    """HTTP with OCPI headers and envelopes; errors as our own exceptions.

    ``max_connections`` lanes, each an httpx client with one kept-alive
    connection: a request takes a free lane and gives it back. One shared pool of
    that size costs more CPU than the requests themselves once many are queued
    (httpcore checks every connection for every request), so the pool is split.
    """

    def __init__(
        self,
        *,
        timeout_s: float = 10.0,
        max_connections: int = 16,
        base64_token: bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
        verify: ssl.SSLContext | None = None,
        guard: Guard | None = None,
    ) -> None:
        self.base64_token = base64_token
        self.guard = guard
        tls = verify if verify is not None else ssl.create_default_context()
        self._all = [
            httpx.AsyncClient(
                timeout=httpx.Timeout(timeout_s),
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                transport=transport,
                headers={"Accept": "application/json"},
                verify=tls,
                follow_redirects=False,  # a redirect would carry the token along
            )
            for _ in range(max(1, max_connections))
        ]
        self._lanes: asyncio.Queue[httpx.AsyncClient] = asyncio.Queue()
        for lane in self._all:
            self._lanes.put_nowait(lane)

    async def aclose(self) -> None:
        """Close every connection."""
        for lane in self._all:
            await lane.aclose()

    async def __aenter__(self) -> OcpiClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _headers(
        self, token: str, route: Route | None, correlation_id: str | None
    ) -> tuple[str, dict[str, str]]:
        request_id = str(uuid.uuid4())
        headers = {
            "Authorization": authorization(token, self.base64_token),
            "X-Request-ID": request_id,
            "X-Correlation-ID": correlation_id or str(uuid.uuid4()),
        }
        if route is not None:
            headers["OCPI-from-country-code"] = route.sender.country_code
            headers["OCPI-from-party-id"] = route.sender.party_id
            if route.receiver is not None:
                headers["OCPI-to-country-code"] = route.receiver.country_code
                headers["OCPI-to-party-id"] = route.receiver.party_id
        return request_id, headers

    async def call(
        self,
        method: str,
        url: str,
        *,
        token: str,
        body: object = None,
        params: Mapping[str, str] | None = None,
        route: Route | None = None,
        correlation_id: str | None = None,
        timeout_s: float | None = None,
    ) -> Reply:
        """Send one OCPI request; return the 1xxx reply or raise an OcpiError.

        ``route`` is given for functional modules only (never for versions and
        credentials). ``body`` must be JSON-ready (see ``model_dump_ocpi``).
        """
        where = f"{method} {url}"
        if self.guard is not None and (why := self.guard(url, token)) is not None:
            raise DestinationRefused(f"{where}: not sent: {why}")
        request_id, headers = self._headers(token, route, correlation_id)
        content = None
        if body is not None:
            content = json.dumps(body, separators=(",", ":")).encode("utf-8")
            headers["Content-Type"] = "application/json"
        timeout = httpx.Timeout(timeout_s) if timeout_s is not None else None
        lane = await self._lanes.get()
        try:
            if timeout is None:
                response = await lane.request(
                    method, url, content=content, params=params, headers=headers
                )
            else:
                response = await lane.request(
                    method,
                    url,
                    content=content,
                    params=params,
                    headers=headers,
                    timeout=timeout,
                )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise _failure(
                where,
                exc,
                untrusted_hint="; if it is right, give [ocpi] tls_ca_file the CA "
                "certificate that issued it",
            ) from exc
        finally:
            self._lanes.put_nowait(lane)
        if log.isEnabledFor(logging.DEBUG):
            log.debug(
                "%s -> HTTP %s %s", where, response.status_code, _shown(content or b"")
            )
        return self._unwrap(where, response, request_id)

    def _unwrap(self, where: str, response: httpx.Response, request_id: str) -> Reply:
        status = response.status_code
        try:
            body: object = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            body = None
            parsed = False
        else:
            parsed = True
        code = _status_code(body)
        if 300 <= status < 400:
            raise HttpStatusError(
                f"{where}: HTTP {status} redirect to "
                f"{response.headers.get('location', '(no Location)')!r} not followed "
                "(requests go only to the registered endpoints)",
                status,
            )
        if not 200 <= status < 300:
            message = body.get("status_message") if isinstance(body, dict) else None
            raise HttpStatusError(
                f"{where}: HTTP {status}"
                + (
                    ""
                    if parsed
                    else f" with a non-JSON body {_shown(response.content)}"
                ),
                status,
                retry_after_s=_retry_after(response.headers),
                ocpi_status=code,
                ocpi_message=message if isinstance(message, str) else None,
            )
        if not parsed:
            raise MalformedResponse(
                f"{where}: HTTP {status} but the body is not JSON: "
                f"{_shown(response.content)}",
                status,
            )
        if code is None or not isinstance(body, dict):
            raise MalformedResponse(
                f"{where}: HTTP {status} but no OCPI envelope (an object with an "
                f"integer status_code): {_shown(response.content)}",
                status,
            )
        message = body.get("status_message")
        message = message if isinstance(message, str) else None
        if not 1000 <= code < 2000:
            raise OcpiStatusError(
                f"{where}: OCPI status {code}" + (f" ({message})" if message else ""),
                code,
                message,
                status,
                where,
            )
        return Reply(
            data=body.get("data"),
            http_status=status,
            status_code=code,
            status_message=message,
            timestamp=self._timestamp(body.get("timestamp")),
            next_url=self._next(response),
            total_count=_int_header(response.headers, "x-total-count"),
            limit=_int_header(response.headers, "x-limit"),
            location=response.headers.get("location"),
            request_id=request_id,
        )

    @staticmethod
    def _timestamp(value: object) -> datetime | None:
        if not isinstance(value, str):
            return None
        try:
            return parse_ocpi_datetime(value)
        except ValueError:
            log.debug("ignoring an invalid envelope timestamp %r", value)
            return None

    @staticmethod
    def _next(response: httpx.Response) -> str | None:
        """The ``Link: <url>; rel="next"`` target, made absolute."""
        target = response.links.get("next", {}).get("url")
        if not target:
            return None
        return str(response.request.url.join(target.strip()))


async def fetch_document(
    url: str, *, timeout_s: float, max_bytes: int, accept: str = "*/*"
) -> bytes:
    """GET ``url`` (no credentials, no redirects): the body of its 2xx answer.

    For plain documents off the OCPI path (a price source). TLS is verified
    against the system trust store. Failures raise
    :class:`~edge.uplink.ocpi.client.failures.TransportError` (no answer, TLS,
    a body over ``max_bytes``) or ``HttpStatusError``, naming the URL.
    """
    where = f"GET {url}"
    try:
        async with (
            httpx.AsyncClient(
                timeout=httpx.Timeout(timeout_s),
                verify=ssl.create_default_context(),
                follow_redirects=False,
                headers={"Accept": accept},
            ) as client,
            client.stream("GET", url) as response,
        ):
            status = response.status_code
            if not 200 <= status < 300:
                location = response.headers.get("location")
                raise HttpStatusError(
                    f"{where}: HTTP {status}"
                    + (f" redirect to {location!r} not followed" if location else ""),
                    status,
                    retry_after_s=_retry_after(response.headers),
                )
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise TransportError(f"{where}: longer than {max_bytes} bytes")
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise _failure(where, exc, timeout_s=timeout_s) from exc
    return bytes(body)


def _failure(
    where: str,
    exc: httpx.HTTPError | httpx.InvalidURL,
    *,
    timeout_s: float | None = None,
    untrusted_hint: str = "",
) -> TransportError:
    """What an httpx failure of the request ``where`` is, in our terms."""
    if isinstance(exc, httpx.TimeoutException):
        within = f"within {timeout_s:g} s" if timeout_s else f"in time ({exc!r})"
        return RequestTimeout(f"{where}: no answer {within}")
    if isinstance(exc, httpx.InvalidURL):
        return TransportError(f"{where}: invalid URL ({exc})")
    if (untrusted := _untrusted_certificate(exc)) is not None:
        return TransportError(
            f"{where}: the peer's TLS certificate is not trusted ({untrusted})"
            + untrusted_hint
        )
    return TransportError(f"{where}: {exc!r}")
