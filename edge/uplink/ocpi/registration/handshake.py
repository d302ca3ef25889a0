"""Versions discovery and the credentials handshake (OCPI 2.2.1, we start it).

Register: discover the peer's 2.2.1 endpoints with token A, create token B (our
server accepts it from that moment, since the peer calls our versions back with
it while handling the POST), POST our credentials, keep the token C it returns,
discover again with token C. Update: PUT fresh credentials (a new token B), keep
the new token C. Unregister: DELETE, forget the tokens. Every failure raises
:class:`HandshakeError` with a sentence for the operator; tokens are never logged.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, replace

from pydantic import TypeAdapter

from edge.model.clock import Clock
from edge.ocpi import (
    Credentials,
    CredentialsRole,
    InterfaceRole,
    ModuleID,
    Version,
    VersionDetails,
    format_ocpi_datetime,
)
from edge.uplink.ocpi.client import (
    HandshakeError,
    HttpStatusError,
    OcpiClient,
    OcpiError,
    OcpiStatusError,
)
from edge.uplink.ocpi.registration.credentials import (
    CredentialsStore,
    OcpiCredentials,
    PeerEndpoint,
    PeerRole,
)

log = logging.getLogger(__name__)
VERSION = "2.2.1"
USED_MODULES = (
    (ModuleID.LOCATIONS, InterfaceRole.RECEIVER),
    (ModuleID.SESSIONS, InterfaceRole.RECEIVER),
    (ModuleID.CDRS, InterfaceRole.RECEIVER),
    (ModuleID.TARIFFS, InterfaceRole.RECEIVER),
    (ModuleID.TOKENS, InterfaceRole.SENDER),
)
"""The peer endpoints the uplink uses: push targets, and the token list."""

_VERSIONS = TypeAdapter(list[Version])
_DETAILS = TypeAdapter(VersionDetails)
_CREDENTIALS = TypeAdapter(Credentials)


class ServerTokens:
    """The tokens B our server accepts: the stored one and one being registered."""

    def __init__(self, current: str | None = None) -> None:
        self.current = current
        self.pending: str | None = None

    def accepted(self) -> set[str]:
        """Every token the peer may call us with right now."""
        return {t for t in (self.current, self.pending) if t}


@dataclass(frozen=True)
class Discovery:
    """The peer's 2.2.1 version details."""

    version_url: str
    endpoints: tuple[PeerEndpoint, ...]


async def discover(client: OcpiClient, versions_url: str, token: str) -> Discovery:
    """GET versions, pick 2.2.1, GET its details."""
    try:
        versions = (await client.call("GET", versions_url, token=token)).data_as(
            _VERSIONS, "versions"
        )
        chosen = next((v for v in versions if v.version.value == VERSION), None)
        if chosen is None:
            offered = ", ".join(v.version.value for v in versions) or "none"
            raise HandshakeError(
                f"{versions_url} offers OCPI versions {offered}, not {VERSION}"
            )
        details = (await client.call("GET", chosen.url, token=token)).data_as(
            _DETAILS, "version_details"
        )
    except HandshakeError:
        raise
    except OcpiError as exc:
        raise HandshakeError(
            f"discovery at {versions_url} failed: {exc.reason}"
        ) from exc
    endpoints = tuple(
        PeerEndpoint(str(e.identifier), e.role.value, e.url) for e in details.endpoints
    )
    return Discovery(chosen.url, endpoints)


def _check_endpoints(disc: Discovery, versions_url: str) -> str:
    creds = OcpiCredentials(versions_url, endpoints=disc.endpoints)
    url = creds.endpoint(ModuleID.CREDENTIALS)
    if url is None:
        raise HandshakeError(
            f"{versions_url}: the peer publishes no credentials module"
        )
    missing = [f"{m} ({r})" for m, r in USED_MODULES if creds.endpoint(m, r) is None]
    if len(missing) == len(USED_MODULES):
        raise HandshakeError(
            f"{versions_url}: the peer publishes none of the modules we use "
            "(locations, sessions, cdrs, tariffs receivers; tokens sender); "
            "not registering"
        )
    if missing:
        log.warning("the backoffice does not publish %s", ", ".join(missing))
    return url


def _why(exc: OcpiError, action: str) -> str:
    if isinstance(exc, OcpiStatusError) and exc.status_code == 3001:
        return (
            f"{action}: the backoffice could not call our versions endpoint back "
            f"(OCPI 3001): is our public URL reachable from it? ({exc.reason})"
        )
    if isinstance(exc, HttpStatusError) and exc.http_status == 405:
        return f"{action}: refused with 405 (already registered, or not registered)"
    if isinstance(exc, HttpStatusError) and exc.http_status == 401:
        return f"{action}: the backoffice refused our token (401)"
    return f"{action}: {exc.reason}"


def _roles(theirs: Credentials) -> tuple[PeerRole, ...]:
    return tuple(
        PeerRole(r.role.value, r.country_code, r.party_id, r.business_details.name)
        for r in theirs.roles
    )


class Handshake:
    """Register, update and unregister with one backoffice."""

    def __init__(
        self,
        client: OcpiClient,
        store: CredentialsStore,
        tokens: ServerTokens,
        roles: list[CredentialsRole],
        clock: Clock,
    ) -> None:
        self.client = client
        self.store = store
        self.tokens = tokens
        self.roles = roles
        self.clock = clock

    async def _exchange(
        self, method: str, url: str, token: str, our_versions_url: str, action: str
    ) -> tuple[str, Credentials]:
        new_b = secrets.token_urlsafe(32)
        self.tokens.pending = new_b
        body = Credentials(token=new_b, url=our_versions_url, roles=self.roles)
        try:
            reply = await self.client.call(
                method, url, token=token, body=body.model_dump_ocpi()
            )
            theirs = reply.data_as(_CREDENTIALS, "credentials")
        except OcpiError as exc:
            self.tokens.pending = None
            raise HandshakeError(_why(exc, action)) from exc
        return new_b, theirs

    async def _finish(
        self,
        token_b: str,
        theirs: Credentials,
        installed: str = "handshake",
        origin: str | None = None,
    ) -> OcpiCredentials:
        try:
            disc = await discover(self.client, theirs.url, theirs.token)
        finally:
            self.tokens.pending = None
        creds = OcpiCredentials(
            versions_url=theirs.url,
            token_c=theirs.token,
            token_b=token_b,
            version=VERSION,
            version_url=disc.version_url,
            endpoints=disc.endpoints,
            roles=_roles(theirs),
            registered_at=format_ocpi_datetime(self.clock.utcnow()),
            installed=installed,
            registered_with=origin or theirs.url,
        )
        self.store.save(creds)
        self.tokens.current = token_b
        return creds

    async def register(
        self, versions_url: str, token_a: str, our_versions_url: str
    ) -> OcpiCredentials:
        """Register with token A; return (and store) the credentials with token C."""
        disc = await discover(self.client, versions_url, token_a)
        url = _check_endpoints(disc, versions_url)
        token_b, theirs = await self._exchange(
            "POST", url, token_a, our_versions_url, "registration"
        )
        creds = await self._finish(token_b, theirs, origin=versions_url)
        log.info(
            "registered with %s as %s; peer %s",
            versions_url,
            ", ".join(f"{r.country_code}*{r.party_id}" for r in self.roles),
            creds.peer_party,
        )
        return creds

    async def update(
        self, creds: OcpiCredentials, our_versions_url: str
    ) -> OcpiCredentials:
        """Rotate tokens (and refresh endpoints) with a PUT of our credentials."""
        url = self._credentials_url(creds)
        token_b, theirs = await self._exchange(
            "PUT", url, str(creds.token_c), our_versions_url, "credentials update"
        )
        return await self._finish(
            token_b, theirs, creds.installed, creds.registered_with
        )

    async def unregister(self, creds: OcpiCredentials) -> None:
        """DELETE our registration; forget the tokens."""
        url = self._credentials_url(creds)
        try:
            await self.client.call("DELETE", url, token=str(creds.token_c))
        except OcpiError as exc:
            raise HandshakeError(_why(exc, "unregistration")) from exc
        self.store.delete()
        self.tokens.current = None
        log.info("unregistered from %s", creds.versions_url)

    async def refresh(self, creds: OcpiCredentials) -> OcpiCredentials:
        """Discover the endpoints again with token C (e.g. installed out of band)."""
        if not creds.token_c:
            raise HandshakeError("no token C to discover the endpoints with")
        disc = await discover(self.client, creds.versions_url, creds.token_c)
        fresh = replace(
            creds,
            version=VERSION,
            version_url=disc.version_url,
            endpoints=disc.endpoints,
        )
        url = fresh.endpoint(ModuleID.CREDENTIALS)
        if url is not None:
            try:
                reply = await self.client.call("GET", url, token=creds.token_c)
                theirs = reply.data_as(_CREDENTIALS, "credentials")
            except OcpiError as exc:
                log.warning("cannot read the backoffice's roles: %s", exc.reason)
            else:
                fresh = replace(fresh, roles=_roles(theirs))
        self.store.save(fresh)
        return fresh

    @staticmethod
    def _credentials_url(creds: OcpiCredentials) -> str:
        url = creds.endpoint(ModuleID.CREDENTIALS)
        if url is None or not creds.token_c:
            raise HandshakeError("not registered: no token C or credentials endpoint")
        return url
