"""The central system: declared chargers, their connections, their frames.

One :class:`ChargerConnection` per open websocket reads the charger's frames in
order: a CALL is validated against its schema (formats included), answered by
the handlers of the connection's subprotocol, and its answer validated too; a
CALLRESULT or CALLERROR goes to our call in flight (:mod:`.calls.outgoing`). A
frame that breaks the rules gets the CALLERROR the version names, with a log
line; nothing a charger sends ends the connection or the site.

Routing by subprotocol: :data:`HANDLERS` maps each served OCPP-J version to the
factory of its handlers (``"ocpp1.6"`` and ``"ocpp2.0.1"``); the charger's
declared ``protocol`` picks it, and its frames are checked and answered in that
version's schemas and error codes.

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
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from edge.config.ocpp import OcppCharger, OcppProtocol, OcppSection
from edge.logthrottle import Throttle
from edge.model.clock import Clock
from edge.ocpp import frames, handshake
from edge.ocpp.calls.outgoing import OutgoingCalls
from edge.ocpp.handlers.backing import SiteBacking
from edge.ocpp.handlers.refusal import PayloadRefused
from edge.ocpp.handlers.v16 import KNOWN_UNSUPPORTED, Handler, V16Handlers
from edge.ocpp.handlers.v16_auth import V16Authorize
from edge.ocpp.handlers.v16_tx import V16Transactions, resumable
from edge.ocpp.handlers.v201 import KNOWN_UNSUPPORTED as V201_UNSUPPORTED
from edge.ocpp.handlers.v201 import V201Handlers
from edge.ocpp.handlers.v201_auth import V201Authorize
from edge.ocpp.handlers.v201_tx import V201Transactions
from edge.ocpp.ledger import ChargerLedger
from edge.ocpp.link import Link, LinkClosed
from edge.ocpp.status import ChargerStatus, EvseState

log = logging.getLogger(__name__)

CLOSE_REPLACED = 1000
CLOSE_PROTOCOL = 1002


@dataclass(frozen=True)
class Routes:
    """What one version answers: its handlers, and the requests it knows but skips."""

    handlers: dict[str, Handler]
    unsupported: frozenset[str]


@dataclass(frozen=True)
class ChargerContext:
    """What the handlers of one charger's connection work with."""

    charger: OcppCharger
    status: ChargerStatus
    clock: Clock
    section: OcppSection
    site: SiteBacking
    ledger: ChargerLedger
    quiet: Throttle


RouteFactory = Callable[[ChargerContext], Routes]


def _v16(ctx: ChargerContext) -> Routes:
    routes = V16Handlers(ctx.status, ctx.clock, ctx.section.heartbeat_interval_s).routes
    routes["Authorize"] = V16Authorize(ctx.charger, ctx.site).authorize
    tx = V16Transactions(ctx.charger, ctx.site, ctx.clock, ctx.ledger, ctx.quiet)
    routes["StartTransaction"] = tx.start
    routes["MeterValues"] = tx.meter_values
    routes["StopTransaction"] = tx.stop
    return Routes(routes, KNOWN_UNSUPPORTED - routes.keys())


def _v201(ctx: ChargerContext) -> Routes:
    interval = ctx.section.heartbeat_interval_s
    station = V201Handlers(ctx.status, ctx.clock, interval)
    routes = station.routes
    billing = V16Transactions(ctx.charger, ctx.site, ctx.clock, ctx.ledger, ctx.quiet)
    tx = V201Transactions(
        ctx.charger, ctx.site, ctx.clock, billing, ctx.ledger, station, ctx.quiet
    )
    routes["Authorize"] = V201Authorize(ctx.charger, ctx.site, tx.swipes).authorize
    routes["TransactionEvent"] = tx.transaction_event
    routes["MeterValues"] = tx.meter_values
    return Routes(routes, V201_UNSUPPORTED - routes.keys())


HANDLERS: dict[OcppProtocol, RouteFactory] = {"ocpp1.6": _v16, "ocpp2.0.1": _v201}


class ChargerConnection:
    """One open websocket of one charger."""

    def __init__(self, ctx: ChargerContext, link: Link, quiet: Throttle) -> None:
        self.charger = ctx.charger
        self._quiet = quiet
        self.protocol: OcppProtocol = ctx.charger.protocol
        self.link = link
        self.routes = HANDLERS[self.protocol](ctx)
        self.calls = OutgoingCalls(
            ctx.charger.identity, self.protocol, link.send, ctx.clock
        )
        self.ready = asyncio.Event()
        """Set once the charger's first CALL is answered: we may call it now."""
        self.booted = False
        """Whether this connection began with an accepted BootNotification."""

    @property
    def identity(self) -> str:
        """The charge point identity."""
        return self.charger.identity

    async def run(self) -> None:
        """Read and answer frames until the websocket closes."""
        try:
            while True:
                frame = await self.link.recv()
                if isinstance(frame, bytes):
                    self._quiet.log(
                        logging.WARNING,
                        (self.identity, "binary"),
                        "OCPP %s: binary frame of %d bytes ignored (OCPP-J is text)",
                        self.identity,
                        len(frame),
                    )
                    continue
                await self._on_text(frame)
        except LinkClosed:
            pass
        finally:
            self.calls.close()

    async def _on_text(self, text: str) -> None:
        match frames.parse(text, self.protocol):
            case frames.IncomingCall() as call:
                await self._answer(call)
            case frames.IncomingResult() | frames.IncomingError() as answer:
                self.calls.take(answer)
            case frames.Garbled(unique_id, code, reason):
                self._quiet.log(
                    logging.WARNING,
                    (self.identity, "garbled", reason),
                    "OCPP %s: malformed frame (%s: %s)%s",
                    self.identity,
                    code,
                    reason,
                    "" if unique_id else "; no uniqueId to answer, ignored",
                )
                if unique_id is not None:
                    await self._send_error(unique_id, code, reason)

    async def _answer(self, call: frames.IncomingCall) -> None:
        violation = frames.check(self.protocol, call.action, call.payload, result=False)
        if violation is not None:
            self._quiet.log(
                logging.WARNING,
                (self.identity, frames.shown(call.action), violation.code),
                "OCPP %s: %s refused with %s: %s",
                self.identity,
                frames.shown(call.action),
                violation.code,
                violation.reason,
            )
            await self._send_error(call.unique_id, violation.code, violation.reason)
            return
        handler = self.routes.handlers.get(call.action)
        if handler is None:
            self._quiet.log(
                logging.INFO,
                (self.identity, call.action, "unsupported"),
                "OCPP %s: %s is not supported (yet)",
                self.identity,
                call.action,
            )
            await self._send_error(
                call.unique_id,
                frames.ErrorCode.NOT_SUPPORTED,
                f"{call.action} is not supported by this central system",
            )
            return
        try:
            answer = handler(call.payload)
            reply = await answer if inspect.isawaitable(answer) else answer
        except PayloadRefused as refused:
            v = refused.violation
            self._quiet.log(
                logging.WARNING,
                (self.identity, call.action, v.code),
                "OCPP %s: %s refused with %s: %s",
                self.identity,
                call.action,
                v.code,
                v.reason,
            )
            await self._send_error(call.unique_id, v.code, v.reason)
            return
        except Exception:  # a handler's bug must not end the link (logged)
            log.exception("OCPP %s: answering %s failed", self.identity, call.action)
            await self._send_error(
                call.unique_id,
                frames.ErrorCode.INTERNAL_ERROR,
                "the central system failed",
            )
            return
        await self._reply(call, reply)
        if not self.ready.is_set():
            self.booted = (
                call.action == "BootNotification" and reply.get("status") == "Accepted"
            )
            self.ready.set()

    async def _reply(self, call: frames.IncomingCall, reply: dict[str, Any]) -> None:
        bad = frames.check(self.protocol, call.action, reply, result=True)
        if bad is not None:
            log.error(
                "OCPP %s: our answer to %s breaks its schema: %s",
                self.identity,
                call.action,
                bad.reason,
            )
            await self._send_error(
                call.unique_id,
                frames.ErrorCode.INTERNAL_ERROR,
                "the central system failed",
            )
            return
        await self._send(frames.result_frame(call.unique_id, reply))

    async def _send_error(
        self, unique_id: str, code: frames.ErrorCode, description: str
    ) -> None:
        await self._send(frames.error_frame(unique_id, code, description))

    async def _send(self, text: str) -> None:
        try:
            await self.link.send(text)
        except LinkClosed:
            log.info("OCPP %s: closed before our answer was sent", self.identity)


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
            charger,
            status,
            self.clock,
            self.section,
            self.site,
            self.ledgers[charger.identity],
            self.quiet,
        )
        connection = ChargerConnection(ctx, link, self.quiet)
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
