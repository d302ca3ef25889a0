"""The central system: the declared chargers and their connections.

Each open websocket of a declared charger is served by a
:class:`~edge.ocpp.connection.ChargerConnection` (frames read, checked and
answered in the charger's version, :mod:`.routes`).

A second connection for an identity replaces the first, which is closed: a
charger that lost its link without a close frame reconnects at once.

Workers (:meth:`CentralSystem.add_worker`) run beside each connection's reader,
one task each, for as long as the connection is open: they wait for
``connection.ready`` (the charger's first CALL answered; ``booted`` says
whether it was an accepted BootNotification) and then call the charger, e.g.
to send its local list or install its charging profiles.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from edge.config.ocpp import OcppCharger, OcppProtocol, OcppSection
from edge.logthrottle import Throttle
from edge.model.clock import Clock
from edge.ocpp import frames, handshake
from edge.ocpp.connection import ChargerConnection
from edge.ocpp.deviations import Tolerances
from edge.ocpp.handlers.backing import SiteBacking
from edge.ocpp.handlers.v16_billing import resumable
from edge.ocpp.ledger import ChargerLedger
from edge.ocpp.link import Link
from edge.ocpp.routes import ChargerContext
from edge.ocpp.status import ChargerStatus, EvseState

log = logging.getLogger(__name__)

CLOSE_REPLACED = 1000
CLOSE_PROTOCOL = 1002


@dataclass(frozen=True)
class ChargerReport:
    """One declared charger as the local API shows it."""

    identity: str
    protocol: OcppProtocol
    model: str | None
    """Its model profile (``model`` in the site file), if named."""
    online: bool
    deviations: dict[str, int]
    """How often each of its model's deviations was tolerated, since start."""


Worker = Callable[[ChargerConnection], Awaitable[None]]
"""A task beside one open connection (cancelled when it closes); never raises."""


async def _guarded(worker: Worker, connection: ChargerConnection) -> None:
    try:
        await worker(connection)
    except Exception:  # a worker's bug must not end the connection (logged)
        log.exception("OCPP %s: a connection worker failed", connection.identity)


class CentralSystem:
    """The chargers declared in ``[ocpp]`` and those connected now."""

    def __init__(
        self,
        section: OcppSection,
        declared: dict[str, handshake.Declared],
        clock: Clock,
        site: SiteBacking,
    ) -> None:
        self.section = section
        self.declared = declared
        self.clock = clock
        self.site = site
        self._listeners: list[Callable[[str], None]] = []
        self._workers: list[Worker] = []
        self.status = {
            c.identity: ChargerStatus(
                c.identity,
                {conn.id: conn.evse_uid for conn in c.connector},
                changed=self._changed,
            )
            for c in section.charger
        }
        self.ledgers = {
            c.identity: ChargerLedger(
                {conn.id: conn for conn in c.connector}, self._changed
            )
            for c in section.charger
        }
        """The transactions of each charger that we follow (1.6J)."""
        self.tolerances = {
            c.identity: Tolerances(
                c.protocol,
                None if c.identity not in declared else declared[c.identity].model,
            )
            for c in section.charger
        }
        """Each charger's model deviations, and how often each fired."""
        self.connections: dict[str, ChargerConnection] = {}
        self.quiet = Throttle(log)
        """A charger (or a stranger) repeating a fault logs it once a minute."""

    async def resume(self) -> int:
        """Follow the transactions still running in the store (after a restart)."""
        followed = await self.site.db.run(resumable)
        for identity, f in followed:
            ledger = self.ledgers.get(identity)
            if ledger is not None:
                ledger.follow(f)
        return len(followed)

    def transaction_of(self, identity: str, connector_id: int) -> int | None:
        """The transactionId running on a charger's connector, if we know one."""
        ledger = self.ledgers.get(identity)
        f = None if ledger is None else ledger.running_on(connector_id)
        return None if f is None else f.tx_id

    def on_change(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(evse uid)`` after each change of what an EVSE shows."""
        self._listeners.append(callback)

    def add_worker(self, worker: Worker) -> None:
        """Run ``worker(connection)`` beside every connection from now on."""
        self._workers.append(worker)

    def _changed(self, uid: str) -> None:
        for callback in self._listeners:
            callback(uid)

    def evses(self) -> dict[str, EvseState]:
        """What every declared connector's EVSE shows now."""
        return {
            uid: state for s in self.status.values() for uid, state in s.evses().items()
        }

    def admit(self, path: str, authorization: str | None) -> handshake.Verdict:
        """Whether a handshake may proceed; each refusal is logged with its reason."""
        verdict = handshake.admit(self.declared, path, authorization)
        if isinstance(verdict, handshake.Refuse):
            self.quiet.log(
                logging.WARNING,
                (verdict.identity, verdict.reason),
                "OCPP handshake refused (HTTP %d) for %s: %s",
                verdict.status,
                "no identity"
                if verdict.identity is None
                else frames.shown(verdict.identity),
                verdict.reason,
            )
        return verdict

    def reports(self) -> list[ChargerReport]:
        """Every declared charger: its model, whether it is online, what it fired."""
        return [
            ChargerReport(
                c.identity,
                c.protocol,
                c.model,
                self.status[c.identity].online,
                dict(sorted(self.tolerances[c.identity].counts.items())),
            )
            for c in self.section.charger
        ]

    def protocol_of(self, identity: str | None) -> OcppProtocol | None:
        """The subprotocol a declared charger speaks."""
        declared = None if identity is None else self.declared.get(identity)
        return None if declared is None else declared.charger.protocol

    async def serve(self, charger: OcppCharger, link: Link) -> None:
        """Run one charger's websocket until it closes."""
        if link.subprotocol != charger.protocol:
            log.warning(
                "OCPP %s: closed, it offered no subprotocol %s (declared in [ocpp])",
                charger.identity,
                charger.protocol,
            )
            await link.close(CLOSE_PROTOCOL, f"this charger speaks {charger.protocol}")
            return
        status = self.status[charger.identity]
        ctx = ChargerContext(
            charger=charger,
            site=self.site,
            clock=self.clock,
            ledger=self.ledgers[charger.identity],
            quiet=self.quiet,
            status=status,
            section=self.section,
        )
        connection = ChargerConnection(
            ctx, link, self.quiet, self.tolerances[charger.identity]
        )
        old = self.connections.get(charger.identity)
        self.connections[charger.identity] = connection
        status.set_online(True)
        log.info("OCPP %s connected (%s)", charger.identity, charger.protocol)
        try:
            async with asyncio.TaskGroup() as tasks:
                if old is not None:  # closing a half-open link may take its timeout
                    log.warning(
                        "OCPP %s: a new connection replaces the open one",
                        charger.identity,
                    )
                    tasks.create_task(
                        old.link.close(CLOSE_REPLACED, "replaced by a new connection")
                    )
                workers = [
                    tasks.create_task(_guarded(w, connection)) for w in self._workers
                ]
                try:
                    await connection.run()
                finally:
                    for worker in workers:
                        worker.cancel()
        finally:
            if self.connections.get(charger.identity) is connection:
                del self.connections[charger.identity]
                status.set_online(False)
                log.info("OCPP %s disconnected", charger.identity)
