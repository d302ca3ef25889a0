"""The OCPI uplink as one service for the Site: serve, register, push, pull.

:meth:`OcpiUplink.run` serves our versions endpoints (the backoffice calls them
back during registration), queues the site file's objects that changed (tariff,
location), gets credentials (stored token C; else the endpoints for a token C
installed out of band; else the handshake with token A, retried with backoff
until it succeeds), and then runs the sender and the periodic token pull. Real-time
authorization is :meth:`OcpiUplink.authorize_remote`.
"""

from __future__ import annotations

import asyncio
import logging
import random

from edge.config.schema import OcpiSection, SiteConfig
from edge.config.server_tls import TlsFileError
from edge.model.clock import Clock
from edge.model.commands import SiteCommands
from edge.model.redact import redact_uid
from edge.ocpi import (
    AuthorizationInfo,
    CredentialsRole,
    InterfaceRole,
    LocationReferences,
    ModuleID,
)
from edge.ocpi.party import Party
from edge.store.db import Database
from edge.store.ocpi_state import queue_site_objects
from edge.uplink.ocpi.client import (
    HandshakeError,
    OcpiClient,
    OcpiError,
    Route,
    backoff_s,
)
from edge.uplink.ocpi.pull import (
    MemoryTokenSink,
    RemoteTokens,
    TokenCache,
    TokenPuller,
    TokenSource,
)
from edge.uplink.ocpi.push import (
    RECEIVER_MODULE,
    Peer,
    Planner,
    Sender,
    SenderSettings,
    Target,
)
from edge.uplink.ocpi.push import mapping as m
from edge.uplink.ocpi.registration import (
    CredentialsFileError,
    CredentialsStore,
    Handshake,
    OcpiCredentials,
    ServerTokens,
    security,
)
from edge.uplink.ocpi.serve import (
    ACTION_TIMEOUT_S,
    Caller,
    CommandsReceiver,
    CpoServer,
    ResultPoster,
    SenderApi,
    TokensReceiver,
    serve_modules,
    server_limits,
    serving,
)
from edge.uplink.ocpi.serve.charging_preferences import (
    ChargingPreferencesApi,
    Preferences,
)
from edge.uplink.ocpi.site_context import UplinkConfigError, site_context

log = logging.getLogger(__name__)


class OcpiUplink:
    """Registration, push (sender), pull (tokens) and our OCPI endpoints."""

    def __init__(
        self,
        config: SiteConfig,
        clock: Clock,
        db: Database,
        *,
        section: OcpiSection | None = None,
        wake: asyncio.Event | None = None,
        token_sink: TokenCache | None = None,
        commands: SiteCommands | None = None,
        command_action_s: float = ACTION_TIMEOUT_S,
        preferences: Preferences | None = None,
    ) -> None:
        self.section = section or config.ocpi or OcpiSection()
        self.clock = clock
        self.db = db
        self.ctx = site_context(config, self.section)
        self.auth_timeout_s = config.auth.remote_timeout_s
        self.store = CredentialsStore(self.section.credentials_path)
        try:
            self.creds: OcpiCredentials | None = self.store.load()
        except CredentialsFileError as exc:
            raise UplinkConfigError(str(exc)) from exc
        self.tokens = ServerTokens(self.creds.token_b if self.creds else None)
        s = self.section
        if problems := s.transport_problems():
            raise UplinkConfigError("; ".join(f"{k}: {msg}" for k, msg in problems))
        try:
            sec = security(s, lambda: self.creds)
        except TlsFileError as exc:
            raise UplinkConfigError(str(exc)) from exc
        self.tls, self.destinations = sec.tls, sec.destinations
        self.client = OcpiClient(
            timeout_s=s.request_timeout_s,
            max_connections=s.concurrency + 2,
            base64_token=s.base64_token,
            verify=sec.verify,
            guard=sec.destinations.guard,
        )
        self.roles = [
            CredentialsRole.model_validate(
                {
                    "role": "CPO",
                    "business_details": {"name": self.section.business_name},
                    "party_id": self.ctx.party.party_id,
                    "country_code": self.ctx.party.country_code,
                }
            )
        ]
        self.server = CpoServer(
            clock,
            self.roles,
            self.tokens.accepted,
            accept_raw_token=self.section.accept_raw_token,
            functional_tokens=self._registered_token_b,
            party=self.ctx.party,
            max_body_bytes=self.section.max_body_bytes,
        )
        self.handshake = Handshake(
            self.client, self.store, self.tokens, self.roles, clock
        )
        speed_lease = clock.from_wall(3 * s.request_timeout_s)
        self.sender = Sender(
            db,
            clock,
            self.client,
            Planner(self.ctx, s.session_patch_interval_s),
            self.peer,
            SenderSettings(
                s.concurrency, s.retry_base_s, s.retry_max_s, max(120.0, speed_lease)
            ),
            wake=wake,
        )
        self.sink = token_sink or MemoryTokenSink()
        self.puller = TokenPuller(
            self.client, db, clock, self.sink, self.token_source, s.token_page_limit
        )
        self.commands = CommandsReceiver(
            commands,
            self.ctx,
            clock,
            ResultPoster(
                self.client, clock, self._caller, self.destinations, s.request_timeout_s
            ),
            command_action_s,
        )
        self.preferences = ChargingPreferencesApi(preferences)
        serve_modules(
            self.server,
            SenderApi(
                db,
                self.ctx,
                clock,
                lambda: self.creds.peer_party if self.creds else None,
                self.server.module_url,
            ),
            self.preferences,
            TokensReceiver(self.sink, self._peer_parties),
            self.commands,
            publish_commands=commands is not None,
        )
        self.connected = asyncio.Event()
        self.decided = asyncio.Event()
        """Set after the first attempt to connect: registered, or known offline."""
        self.rng = random.Random()

    def _registered_token_b(self) -> set[str]:
        """The token B of the completed registration (not one being registered)."""
        return {self.tokens.current} if self.tokens.current else set()

    def _peer_parties(self) -> set[Party]:
        """The parties of the backoffice, as its credentials list them."""
        c = self.creds
        roles = c.roles if c else ()
        return {Party(r.country_code.upper(), r.party_id.upper()) for r in roles}

    def _caller(self) -> Caller | None:
        """Token C and routing headers for calls to the backoffice."""
        c = self.creds
        if c is None or not c.token_c:
            return None
        return Caller(c.token_c, Route(self.ctx.party, c.peer_party))

    # ---- who we talk to ----------------------------------------------------------
    def reload_tls(self) -> None:
        """Load the certificate files again (SIGHUP); on error keep the old pair."""
        if self.tls is None:
            log.info("SIGHUP: no [ocpi] tls_cert_file configured, nothing to reload")
            return
        try:
            self.tls.reload()
        except TlsFileError as exc:
            log.error("%s; still serving the previous certificate", exc)

    def peer(self) -> Peer | None:
        """The receiver to push to, once registered."""
        c = self.creds
        if c is None or not c.ready or not c.token_c:
            return None
        urls: dict[str, str] = {
            module: url
            for module in set(RECEIVER_MODULE.values())
            if (url := c.endpoint(module, InterfaceRole.RECEIVER)) is not None
        }
        route = Route(self.ctx.party, c.peer_party)
        tokens = c.endpoint(ModuleID.TOKENS, InterfaceRole.SENDER)
        return Peer(Target(urls, c.peer_party), c.token_c, route, tokens)

    def remote_tokens(self) -> RemoteTokens:
        """Real-time authorization at the eMSP, for the authorization service."""
        return RemoteTokens(
            self.puller, self.ctx.location_id, self.clock, self.auth_timeout_s
        )

    def token_source(self) -> TokenSource | None:
        """Where to pull tokens from, once registered."""
        peer = self.peer()
        if peer is None or peer.tokens_url is None:
            return None
        return TokenSource(peer.tokens_url, peer.token, peer.route)

    # ---- running -----------------------------------------------------------------
    async def run(self) -> None:
        """Serve, connect, push and pull until cancelled."""
        s = self.section
        tls = self.tls.context if self.tls else None
        try:
            limits = server_limits(s)
            async with serving(
                self.server.app,
                s.listen_host,
                s.listen_port,
                ssl_context=tls,
                limits=limits,
                refusal=self.server.refusal,
            ) as bound:
                self.server.public_url = (s.public_url or bound.base_url).rstrip("/")
                await self.queue_static()
                async with asyncio.TaskGroup() as tg:
                    tg.create_task(self.connect(), name="ocpi connect")
                    tg.create_task(self.sender.run(), name="ocpi sender")
                    tg.create_task(self._pull_loop(), name="ocpi token pull")
                    tg.create_task(self.commands.run(), name="ocpi commands")
        finally:
            await asyncio.shield(self.client.aclose())

    async def queue_static(self) -> None:
        """Queue the tariff and the location if the site file changed them."""
        now, ctx = self.clock.utcnow(), self.ctx
        tariff = (ctx.tariff.id, m.tariff_digest(ctx.tariff)) if ctx.tariff else None
        location = (ctx.location_id, m.static_digest(ctx))
        await self.db.run(lambda db: queue_site_objects(db, tariff, location, now))

    async def connect(self) -> None:
        """Get usable credentials, retrying with backoff; then wake the sender."""
        s, attempt = self.section, 0
        while True:
            try:
                if await self._connect_once():
                    self.connected.set()
                    self.decided.set()
                    self.sender.kick.set()
                    return
                self.decided.set()
                log.warning(
                    "OCPI uplink not registered: give [ocpi] versions_url and token_a, "
                    "or install a token C with `edge ocpi credentials set`"
                )
                return
            except (HandshakeError, OcpiError) as exc:
                self.decided.set()  # known offline (or refused) for now
                attempt += 1
                delay = backoff_s(attempt, s.retry_base_s, s.retry_max_s, self.rng)
                log.error("OCPI %s; trying again in %.0f s", exc.reason, delay)
                await self.clock.sleep(delay)

    async def _connect_once(self) -> bool:
        s, c = self.section, self.creds
        fresh = s.versions_url and s.token_a
        if c is not None and fresh and c.registered_with not in (None, s.versions_url):
            log.warning(
                "configured for %s, registered with %s: registering anew",
                s.versions_url,
                c.registered_with,
            )
            c = None
        if c is not None and c.ready:
            return True
        if c is not None and c.token_c:
            self.creds = await self.handshake.refresh(c)
            return True
        if s.versions_url and s.token_a:
            self.creds = await self.handshake.register(
                s.versions_url, s.token_a, self.server.versions_url
            )
            return True
        return False

    async def _pull_loop(self) -> None:
        await self.connected.wait()
        s, attempt = self.section, 0
        while True:
            try:
                await self.puller.pull()
                attempt = 0
                delay = s.token_pull_interval_s * self.rng.uniform(0.9, 1.1)
            except OcpiError as exc:
                attempt += 1
                delay = backoff_s(attempt, s.retry_base_s, s.retry_max_s, self.rng)
                log.warning("token pull failed: %s; again in %.0f s", exc.reason, delay)
            await self.clock.sleep(delay)

    async def authorize_remote(
        self, uid: str, location_ref: LocationReferences | None
    ) -> AuthorizationInfo | None:
        """Real-time authorization at the eMSP; None if unknown or unreachable."""
        try:
            async with asyncio.timeout(self.clock.to_wall(self.auth_timeout_s) + 0.5):
                return await self.puller.ask(
                    uid, location_ref, timeout_s=self.clock.to_wall(self.auth_timeout_s)
                )
        except (TimeoutError, OcpiError) as exc:
            reason = (
                "no answer in time" if isinstance(exc, TimeoutError) else exc.reason
            )
            log.info("real-time authorization of %s: %s", redact_uid(uid), reason)
            return None

    async def aclose(self) -> None:
        """Close the HTTP connections (``run`` does this when it ends)."""
        await self.client.aclose()

    def describe(self) -> dict[str, object]:
        """For status output: registration and peer, never tokens."""
        c = self.creds
        return {
            "registered": bool(c and c.ready),
            "peer_versions_url": c.versions_url if c else None,
            "peer": str(c.peer_party) if c and c.peer_party else None,
            "our_versions_url": self.server.versions_url,
            "credentials_file": str(self.store.path),
        }
