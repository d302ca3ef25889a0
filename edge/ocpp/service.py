"""The central system as the composition root runs it: one task, owned.

``OcppService(section, clock, db, authorization)`` serves the chargers with
the site's database (their sessions go into its sessions and OCPI outbox) and
its authorization service (their idTags are decided as the board EVSEs'
cards are). It reads every charger's password file and the
TLS pair at once (so that ``edge run`` fails at start, naming the file), and
``run()`` serves until cancelled (writing each connector's status to the store
as it changes, :mod:`edge.ocpp.evse_status`), then closes every charger's
connection;
``reload_tls()`` (for SIGHUP) renews the certificate without a restart.

Every 1.6J charger gets its charging profiles (a failsafe, a lease renewed
while we run, each connector's limit: :mod:`edge.ocpp.charging_profiles`).
With ``tokens`` (the authorizer) every charger's local authorization list
follows the token cache, its versions kept in ``db`` (:mod:`edge.ocpp.local_list`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from edge.config.ocpp import OcppSection
from edge.config.server_tls import ServerTls, TlsFileError
from edge.model.authorization import Authorization
from edge.model.clock import Clock
from edge.ocpp import server
from edge.ocpp.central import CentralSystem
from edge.ocpp.charging_profiles import ChargingProfiles
from edge.ocpp.declared import declared
from edge.ocpp.evse_status import StatusRecorder
from edge.ocpp.handlers.backing import SiteBacking
from edge.ocpp.local_list import LocalLists, TokenSource
from edge.store.db import Database

log = logging.getLogger(__name__)


class OcppService:
    """Our OCPP central system on ``[ocpp] listen_host:listen_port``."""

    def __init__(
        self,
        section: OcppSection,
        clock: Clock,
        db: Database,
        authorization: Authorization,
        tokens: TokenSource | None = None,
    ) -> None:
        self.central = CentralSystem(
            section, declared(section), clock, SiteBacking(db, authorization)
        )
        self.statuses = StatusRecorder(self.central, db, clock)
        """Each connector's status into the store and the OCPI outbox."""
        self.profiles = ChargingProfiles(self.central, clock, section)
        """Each charger's failsafe, lease and connector limits."""
        self.central.add_worker(self.profiles.serve)
        self.local_lists: LocalLists | None = None
        if tokens is not None:
            self.local_lists = LocalLists(tokens, db, clock, section.call_timeout_s)
            self.central.add_worker(self.local_lists.serve)
        cert, key = section.tls_cert_file, section.tls_key_file
        self.tls = None if cert is None or key is None else ServerTls("ocpp", cert, key)

    async def run(
        self, listening: Callable[[server.OcppServer], None] | None = None
    ) -> None:
        """Serve chargers until cancelled; ``listening`` gets the bound server."""
        resumed = await self.central.resume()
        if resumed:
            log.info("OCPP: %d transactions still running, followed on", resumed)
        srv = await server.start(
            self.central, None if self.tls is None else self.tls.context
        )
        if listening is not None:
            listening(srv)
        try:
            await self.statuses.run()
        finally:
            await srv.close()
            log.info("OCPP central system stopped")

    def reload_tls(self) -> None:
        """SIGHUP: a renewed certificate for new connections, without a restart."""
        if self.tls is None:
            log.info("SIGHUP: no [ocpp] tls_cert_file configured, nothing to reload")
            return
        try:
            self.tls.reload()
        except TlsFileError as exc:
            log.error("%s; the previous certificate stays in use", exc)
