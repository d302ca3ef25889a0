"""Where the uplink may call, and the TLS it serves and expects.

Rules (issue 11, "safe to put on a network"):

* Only ``http`` and ``https`` URLs. Plain ``http`` only to this machine
  (loopback), unless ``[ocpi] insecure = true``.
* A request that carries token C goes only to an origin (scheme, host, port) of
  the registration we stored: the backoffice's versions URL, version URL and
  endpoints; or to one of ``[ocpi] allowed_origins``. The same holds for command
  results: a command whose ``response_url`` points anywhere else is REJECTED
  when it arrives, and nothing is called (:class:`Destinations`).
* Redirects are never followed (:mod:`.client`), so the token cannot be bounced
  to another host.
* Our server presents ``tls_cert_file``/``tls_key_file``
  (:class:`edge.config.server_tls.ServerTls`, renewable in place on SIGHUP).
  The backoffice's certificate must chain to ``tls_ca_file``, or to the system
  trust store by default (:func:`client_context`).
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from edge.config.schema import OcpiSection
from edge.config.server_tls import ServerTls, TlsFileError
from edge.model.origins import Origin, OriginError, origin_of, plain_http_problem
from edge.uplink.ocpi.registration.credentials import OcpiCredentials

log = logging.getLogger(__name__)


class TlsConfigError(TlsFileError):
    """The ``[ocpi]`` CA file cannot be used; the message names it.

    A :class:`TlsFileError`, as the server's own pair's errors are: whoever
    catches that catches both.
    """


def client_context(ca_file: str | None) -> ssl.SSLContext:
    """Verify peers against ``ca_file`` only, or the system store if None."""
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        raise TlsConfigError(
            f"ocpi.tls_ca_file: cannot load {ca_file}: {exc}; give a PEM file of "
            "the CA certificates that issued the backoffice's certificate"
        ) from exc


class Destinations:
    """The origins token C and command results may go to."""

    def __init__(
        self,
        creds: Callable[[], OcpiCredentials | None],
        allowed: Iterable[str] = (),
        *,
        insecure: bool = False,
    ) -> None:
        self.creds = creds
        """The stored registration (read at every check)."""
        self.allowed = frozenset(origin_of(u) for u in allowed)
        self.insecure = insecure

    def registered_urls(self) -> list[str]:
        """The URLs of the stored registration."""
        c = self.creds()
        if c is None:
            return []
        urls = [c.versions_url, *(e.url for e in c.endpoints)]
        return urls + [u for u in (c.version_url, c.registered_with) if u]

    def origins(self) -> set[Origin]:
        """Every origin allowed right now."""
        out = set(self.allowed)
        for url in self.registered_urls():
            try:
                out.add(origin_of(url))
            except OriginError:
                continue
        return out

    def transport_refusal(self, url: str) -> str | None:
        """Why ``url`` may not be called at all (scheme, plain http), or None."""
        return plain_http_problem(url, self.insecure)

    def refusal(self, url: str) -> str | None:
        """Why ``url`` may not get token C or a command result, or None."""
        why = self.transport_refusal(url)
        if why is not None:
            return why
        origin = origin_of(url)
        if origin in self.origins():
            return None
        return (
            f"{origin} is not an origin of the registered backoffice's endpoints "
            "nor one of [ocpi] allowed_origins"
        )

    def guard(self, url: str, token: str) -> str | None:
        """The client's check of every request: any token, then token C."""
        if (why := self.transport_refusal(url)) is not None:
            return why
        c = self.creds()
        if c is not None and c.token_c and token == c.token_c:
            return self.refusal(url)
        return None


@dataclass(frozen=True)
class Security:
    """What the uplink needs to call and to be called safely."""

    verify: ssl.SSLContext
    """Checks the backoffice's certificate."""
    tls: ServerTls | None
    """Our server's certificate (None: plain http, on loopback or behind a proxy)."""
    destinations: Destinations


def security(
    section: OcpiSection, creds: Callable[[], OcpiCredentials | None]
) -> Security:
    """Load the TLS files and the allow-list of ``section``; TlsConfigError if not."""
    if section.insecure:
        log.warning(
            "[ocpi] insecure = true: plain http to other hosts is allowed, so "
            "tokens and sessions can be read and changed on the network"
        )
    cert, key = section.tls_cert_file, section.tls_key_file
    return Security(
        client_context(section.tls_ca_file),
        ServerTls("ocpi", cert, key) if cert and key else None,
        Destinations(creds, section.allowed_origins, insecure=section.insecure),
    )
