"""What every exchange our endpoints serve carries: token check in, envelope out.

The response envelope, the credentials-token check on ``Authorization`` and the
echo of ``X-Request-ID``/``X-Correlation-ID``. Starlette types only; httpx stays
in :mod:`edge.uplink.ocpi.client.http_client`.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Collection, Mapping
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from edge.ocpi import format_ocpi_datetime


def envelope(
    now: datetime,
    data: object = None,
    *,
    status_code: int = 1000,
    message: str | None = None,
    http_status: int = 200,
    request: Request | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """An OCPI response: ``{data?, status_code, status_message?, timestamp}``.

    ``data`` is left out when None (OCPI 2.2.1 advises no data where the module
    defines none). The request's ``X-Request-ID`` and ``X-Correlation-ID`` are
    echoed.
    """
    body: dict[str, object] = {}
    if data is not None:
        body["data"] = data
    body["status_code"] = status_code
    if message is not None:
        body["status_message"] = message
    body["timestamp"] = format_ocpi_datetime(now)
    out = dict(headers or {})
    if request is not None:
        out.update(echo_ids(request))
    return Response(
        json.dumps(body, separators=(",", ":")),
        status_code=http_status,
        media_type="application/json",
        headers=out,
    )


def echo_ids(request: Request) -> dict[str, str]:
    """``X-Request-ID`` and ``X-Correlation-ID`` for the response."""
    return {
        "X-Request-ID": request.headers.get("x-request-id") or str(uuid.uuid4()),
        "X-Correlation-ID": request.headers.get("x-correlation-id")
        or str(uuid.uuid4()),
    }


def presented_token(header: str | None, accept_raw: bool = True) -> list[str]:
    """The credentials tokens an ``Authorization`` header may carry.

    OCPI 2.2.1 sends ``Token <base64(token)>``; many 2.1.1/2.2 peers send the raw
    token. Both candidates are returned (raw only when ``accept_raw``); the
    caller accepts the request if any of them is a known token.
    """
    if not header:
        return []
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "token" or not value:
        return []
    found = []
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = None
    if decoded:
        found.append(decoded)
    if accept_raw:
        found.append(value)
    return found


def authorized(
    request: Request, known: Collection[str], accept_raw: bool = True
) -> str | None:
    """The known token the request presents, if any."""
    for token in presented_token(request.headers.get("authorization"), accept_raw):
        if token in known:
            return token
    return None
