"""A request and an answer as the backoffice's handlers see them; no HTTP library.

:mod:`hal_sim.backoffice.asgi` turns each HTTP request into a :class:`Call` and
each :class:`Raw` back into an HTTP response, so the handlers, the fault
injection and the pipeline are plain functions of plain values. Also here: the
OCPI envelope of an answer and the credentials token an ``Authorization`` header
carries, written for the simulator (a test peer checks the controller; it must
not share its code).
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from edge.ocpi import format_ocpi_datetime


@dataclass(frozen=True)
class Call:
    """One HTTP request: what a handler may read of it."""

    method: str
    url: str
    """The whole URL, query included."""
    path: str
    query_string: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    """Names in lower case."""
    path_params: Mapping[str, str]
    body: bytes = b""

    def header(self, name: str) -> str:
        """A header's value, empty when absent."""
        return self.headers.get(name.lower(), "")

    def json(self) -> object:
        """The body as JSON (ValueError if it is not)."""
        return json.loads(self.body)


@dataclass(frozen=True)
class Raw:
    """One HTTP answer."""

    body: str | bytes
    status: int = 200
    media_type: str | None = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)


Endpoint = Callable[[Call], Awaitable[Raw]]


@dataclass(frozen=True)
class HttpRoute:
    """One route: a Starlette path pattern, its methods and endpoint."""

    pattern: str
    endpoint: Endpoint
    methods: tuple[str, ...] = ("GET",)


def json_answer(data: object, status: int = 200) -> Raw:
    """A plain JSON answer (the admin interface)."""
    return Raw(json.dumps(data), status)


def envelope(
    now: datetime,
    data: object = None,
    *,
    status_code: int = 1000,
    message: str | None = None,
    http_status: int = 200,
    call: Call | None = None,
    headers: Mapping[str, str] | None = None,
) -> Raw:
    """``{data?, status_code, status_message?, timestamp}``; request ids echoed."""
    body: dict[str, object] = {}
    if data is not None:
        body["data"] = data
    body["status_code"] = status_code
    if message is not None:
        body["status_message"] = message
    body["timestamp"] = format_ocpi_datetime(now)
    out = dict(headers or {})
    if call is not None:
        for name in ("X-Request-ID", "X-Correlation-ID"):
            out[name] = call.header(name) or str(uuid.uuid4())
    return Raw(json.dumps(body, separators=(",", ":")), http_status, headers=out)


def presented_tokens(authorization: str, accept_raw: bool) -> list[str]:
    """The tokens ``Token <base64(token)>`` may carry (and the raw value, if allowed).

    OCPI 2.2.1 base64-encodes the token; 2.1.1 peers send it as it is, which a
    strict 2.2.1 eMSP refuses unless ``accept_raw``.
    """
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "token" or not value:
        return []
    found = []
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    if decoded:
        found.append(decoded)
    if accept_raw:
        found.append(value)
    return found
