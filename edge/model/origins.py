"""Web origins (scheme, host, port) and loopback hosts: the unit of "where".

An origin is what browsers use for the same-origin rule: two URLs go to the same
place only if scheme, host and port are all equal (``https://a`` and
``http://a`` are different places; so are ports 443 and 8443 of one host). The
uplink allows outbound calls per origin, never per host name alone.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


class OriginError(ValueError):
    """A URL that has no usable http(s) origin; the message says why."""


@dataclass(frozen=True, order=True)
class Origin:
    """``scheme://host:port``, lower-cased, with the default port filled in."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def loopback(self) -> bool:
        """The host is this machine (127.0.0.0/8, ::1 or ``localhost``)."""
        return is_loopback(self.host)


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address, no brackets) is this machine."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost":  # not *.localhost: a resolver may send those anywhere
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def origin_of(url: str) -> Origin:
    """The origin of an ``http``/``https`` URL; :class:`OriginError` otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise OriginError(f"not a valid URL ({exc})") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        shown = f"{scheme}:" if scheme else "no scheme"
        raise OriginError(f"{shown} URLs are not allowed, only http and https")
    if parts.username is not None or parts.password is not None:
        raise OriginError("URLs with a user name or password are not allowed")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise OriginError("the URL has no host")
    return Origin(scheme, host, port if port is not None else DEFAULT_PORTS[scheme])


def plain_http_problem(url: str, insecure: bool) -> str | None:
    """Why ``url`` may not be used without TLS, or None if it may.

    ``https`` is always fine; ``http`` only to a loopback host, or with
    ``insecure``. A URL without an http(s) origin is a problem too.
    """
    try:
        origin = origin_of(url)
    except OriginError as exc:
        return str(exc)
    if origin.scheme == "http" and not origin.loopback and not insecure:
        return (
            f"plain http to {origin.host}, which is not this machine: tokens would "
            "cross the network unencrypted"
        )
    return None
