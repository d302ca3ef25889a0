"""HTTP, one request at a time: the only module that imports httpx.

:class:`HttpLanes` sends one request on one of its kept-alive lanes and gives
back the whole answer as an :class:`HttpAnswer` (no httpx type); the OCPI
headers and envelope on top are :mod:`edge.uplink.ocpi.client.ocpi_client`'s.
:func:`fetch_document` is the one plain GET of a document off the OCPI path (a
price source). Redirects are never followed, so no token reaches a host its
caller did not see. TLS peers are verified against ``verify`` (default: the
system trust store). A request without an answer raises one of the exceptions
in :mod:`edge.uplink.ocpi.client.failures`, raised ``from`` the httpx error, so
no httpx type leaves this module.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

from edge.uplink.ocpi.client.failures import (
    HttpStatusError,
    RequestTimeout,
    TransportError,
)

logging.getLogger("httpx").setLevel(logging.WARNING)  # our DEBUG line replaces its INFO


@dataclass(frozen=True)
class HttpAnswer:
    """One HTTP answer, read whole."""

    status: int
    content: bytes
    headers: Mapping[str, str]
    """By lower-case name; a header sent more than once, its values joined by ", "."""
    next_url: str | None
    """The ``Link: <url>; rel="next"`` target, made absolute."""


def retry_after(headers: Mapping[str, str]) -> float | None:
    """An answer's ``Retry-After`` in seconds (None: none, or not readable)."""
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


class HttpLanes:
    """``max_connections`` lanes, each an httpx client with one kept-alive connection.

    A request takes a free lane and gives it back. One shared pool of that size
    costs more CPU than the requests themselves once many are queued (httpcore
    checks every connection for every request), so the pool is split.
    """

    def __init__(
        self,
        *,
        timeout_s: float,
        max_connections: int,
        verify: ssl.SSLContext | None = None,
        untrusted_hint: str = "",
    ) -> None:
        self._untrusted_hint = untrusted_hint
        tls = verify if verify is not None else ssl.create_default_context()
        self._all = [
            httpx.AsyncClient(
                timeout=httpx.Timeout(timeout_s),
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
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

    async def request(
        self,
        method: str,
        url: str,
        *,
        content: bytes | None,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str],
        timeout_s: float | None,
    ) -> HttpAnswer:
        """Send one request on a free lane; its answer, whatever its status."""
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
                f"{method} {url}", exc, untrusted_hint=self._untrusted_hint
            ) from exc
        finally:
            self._lanes.put_nowait(lane)
        return HttpAnswer(
            status=response.status_code,
            content=response.content,
            headers=dict(response.headers),
            next_url=_next(response),
        )


def _next(response: httpx.Response) -> str | None:
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
                    retry_after_s=retry_after(response.headers),
                )
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > max_bytes:
                    raise TransportError(f"{where}: longer than {max_bytes} bytes")
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise _failure(where, exc, timeout_s=timeout_s) from exc
    return bytes(body)


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
