"""OCPI over HTTP: headers, the destination guard, and the envelope.

One :class:`OcpiClient` per peer connection. Every request carries
``Authorization: Token <base64(token)>`` (OCPI 2.2.1; raw tokens for 2.1.1/2.2
peers by configuration), a fresh ``X-Request-ID``, an ``X-Correlation-ID`` and,
for functional modules, the ``OCPI-from-*``/``OCPI-to-*`` routing headers.
Before anything is sent, the ``guard`` (if given) sees the URL and the token and
may refuse (:class:`~edge.uplink.ocpi.client.failures.DestinationRefused`).
The request itself goes out through :mod:`edge.uplink.ocpi.client.http_client`
(the one httpx module: no redirects, TLS verified against ``verify``). Every
answer is unwrapped from the OCPI envelope; anything else becomes one of the
exceptions in :mod:`edge.uplink.ocpi.client.failures`.
"""

from __future__ import annotations

import base64
import json
import logging
import ssl
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from pydantic import TypeAdapter, ValidationError

from edge.ocpi import describe_validation_error, parse_ocpi_datetime
from edge.ocpi.party import Party
from edge.uplink.ocpi.client.failures import (
    DestinationRefused,
    HttpStatusError,
    MalformedResponse,
    OcpiStatusError,
)
from edge.uplink.ocpi.client.http_client import HttpAnswer, HttpLanes, retry_after

log = logging.getLogger(__name__)
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


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    try:
        return None if value is None else int(value.strip())
    except ValueError:
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

    ``max_connections`` lanes (:class:`~edge.uplink.ocpi.client.http_client.HttpLanes`),
    each with one kept-alive connection.
    """

    def __init__(
        self,
        *,
        timeout_s: float = 10.0,
        max_connections: int = 16,
        base64_token: bool = True,
        verify: ssl.SSLContext | None = None,
        guard: Guard | None = None,
    ) -> None:
        self.base64_token = base64_token
        self.guard = guard
        self._http = HttpLanes(
            timeout_s=timeout_s,
            max_connections=max_connections,
            verify=verify,
            untrusted_hint="; if it is right, give [ocpi] tls_ca_file the CA "
            "certificate that issued it",
        )

    async def aclose(self) -> None:
        """Close every connection."""
        await self._http.aclose()

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
        answer = await self._http.request(
            method,
            url,
            content=content,
            params=params,
            headers=headers,
            timeout_s=timeout_s,
        )
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s -> HTTP %s %s", where, answer.status, _shown(content or b""))
        return self._unwrap(where, answer, request_id)

    def _unwrap(self, where: str, answer: HttpAnswer, request_id: str) -> Reply:
        status = answer.status
        try:
            body: object = json.loads(answer.content)
        except (ValueError, UnicodeDecodeError):
            body = None
            parsed = False
        else:
            parsed = True
        code = _status_code(body)
        if 300 <= status < 400:
            raise HttpStatusError(
                f"{where}: HTTP {status} redirect to "
                f"{answer.headers.get('location', '(no Location)')!r} not followed "
                "(requests go only to the registered endpoints)",
                status,
            )
        if not 200 <= status < 300:
            message = body.get("status_message") if isinstance(body, dict) else None
            raise HttpStatusError(
                f"{where}: HTTP {status}"
                + ("" if parsed else f" with a non-JSON body {_shown(answer.content)}"),
                status,
                retry_after_s=retry_after(answer.headers),
                ocpi_status=code,
                ocpi_message=message if isinstance(message, str) else None,
            )
        if not parsed:
            raise MalformedResponse(
                f"{where}: HTTP {status} but the body is not JSON: "
                f"{_shown(answer.content)}",
                status,
            )
        if code is None or not isinstance(body, dict):
            raise MalformedResponse(
                f"{where}: HTTP {status} but no OCPI envelope (an object with an "
                f"integer status_code): {_shown(answer.content)}",
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
            next_url=answer.next_url,
            total_count=_int_header(answer.headers, "x-total-count"),
            limit=_int_header(answer.headers, "x-limit"),
            location=answer.headers.get("location"),
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
