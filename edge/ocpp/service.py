"""The central system as the composition root runs it: one task, owned.

``OcppService(section, clock)`` reads every charger's password file and the
TLS pair at once (so that ``edge run`` fails at start, naming the file), and
``run()`` serves until cancelled, then closes every charger's connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from edge.config.ocpp import OcppSection
from edge.model.clock import Clock
from edge.ocpp import server
from edge.ocpp.central import CentralSystem
from edge.ocpp.declared import declared

log = logging.getLogger(__name__)


class OcppService:
    """Our OCPP central system on ``[ocpp] listen_host:listen_port``."""

    def __init__(self, section: OcppSection, clock: Clock) -> None:
        self.central = CentralSystem(section, declared(section), clock)
        cert, key = section.tls_cert_file, section.tls_key_file
        self._tls = (
            None if cert is None or key is None else server.server_tls(cert, key)
        )

    async def run(
        self, listening: Callable[[server.OcppServer], None] | None = None
    ) -> None:
        """Serve chargers until cancelled; ``listening`` gets the bound server."""
        srv = await server.start(self.central, self._tls)
        if listening is not None:
            listening(srv)
        try:
            await asyncio.Event().wait()
        finally:
            await srv.close()
            log.info("OCPP central system stopped")
