"""Each charger's local authorization list, kept in step with the token cache.

So that a charger authorizes our cards while it cannot reach us (or we are
down), it holds a list of them (1.6 LocalAuthListManagement, 2.0.1 Local
Authorization List Management). One worker per connection
(:meth:`LocalLists.serve`, run by the central system beside the connection's
reader), the same for both versions; what differs is the charger's
:class:`ListPort` (:data:`PORTS`: :mod:`edge.ocpp.calls.local_list_v16`,
:mod:`edge.ocpp.calls.local_list_v201`), which says the calls in its words:

1. once the charger is ready (its first CALL answered), the port reads its
   limits (1.6: ``LocalAuthListMaxLength`` and ``SendLocalListMaxLength`` by
   GetConfiguration; 2.0.1: ``LocalAuthListCtrlr`` by GetVariables); one that
   reports none is taken to hold :data:`DEFAULT_MAX` per message and list;
2. after a BootNotification, a Full list; after a reconnect without one,
   GetLocalListVersion: if the charger holds the version we last sent (the
   store keeps it and its entries across restarts) only the changes follow,
   otherwise a Full list;
3. after every change of the token cache (:meth:`TokenSource.on_change`: an
   eMSP push or pull, a block, ``edge tokens``), the Differential updates, in
   chunks of at most ``SendLocalListMaxLength``, after :data:`SETTLE_S` site
   seconds in which further changes are taken along;
4. a Differential answered ``VersionMismatch`` or ``Failed`` (or not answered
   at all: we cannot know what the charger did) is followed by a Full list; a
   Full list that fails is retried with a backoff, as is a charger that does
   not answer. ``NotSupported`` (or a list version of -1, or a CALLERROR, or a
   2.0.1 station whose list is not enabled) ends the worker for this
   connection, with a log line.

What goes on the list, and what is kept when it does not fit, is
:mod:`edge.ocpp.list_plan`'s choice; each list that does not fit is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from enum import Enum
from typing import Protocol

from edge.config.ocpp import OcppProtocol
from edge.model.clock import Clock
from edge.model.tokens import CachedToken
from edge.ocpp import list_plan
from edge.ocpp.calls.local_list_v16 import V16ListPort
from edge.ocpp.calls.local_list_v201 import V201ListPort
from edge.ocpp.calls.outgoing import CallFailed, NotConnected, OutgoingCalls
from edge.ocpp.calls.v16 import Failure
from edge.ocpp.connection import ChargerConnection
from edge.ocpp.list_plan import DEFAULT_MAX, IdStatus, ListLimits, ListUpdate
from edge.store import ocpp_local_lists as repo
from edge.store.db import Database

log = logging.getLogger(__name__)

__all__ = ["DEFAULT_MAX", "PORTS", "ListPort", "LocalLists", "TokenSource"]

SETTLE_S = 1.0
"""Site seconds to wait after a token change for the changes that follow it."""
BACKOFF_S = (10.0, 30.0, 60.0, 120.0, 300.0)
"""Site seconds before retrying after the 1st, 2nd, ... failure in a row."""


class TokenSource(Protocol):
    """The token cache the lists follow (:class:`edge.auth.authorizer.Authorizer`)."""

    def tokens(self) -> list[CachedToken]:
        """Every cached token."""
        ...

    def blocked(self) -> frozenset[str]:
        """The upper-case uids the operator blocked."""
        ...

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after every change of either."""
        ...


class ListPort(Protocol):
    """One connected charger's local list calls, in its protocol's words."""

    id_max: int
    """The longest idTag (idToken) its list may hold."""

    async def limits(self, timeout_s: float) -> ListLimits | None:
        """How much it holds and takes per message (None: no list, logged)."""
        ...

    async def version(self, timeout_s: float) -> int | Failure:
        """GetLocalListVersion: the version it holds (-1: no list support)."""
        ...

    async def send(self, update: ListUpdate, timeout_s: float) -> str | Failure:
        """SendLocalList: its status (Accepted, Failed, VersionMismatch, ...)."""
        ...


PORTS: dict[OcppProtocol, Callable[[OutgoingCalls], ListPort]] = {
    "ocpp1.6": V16ListPort,
    "ocpp2.0.1": V201ListPort,
}
"""The list port of each served protocol."""


class _Next(Enum):
    DONE = "done"
    RESYNC = "resync"
    RETRY = "retry"
    STOP = "stop"


class LocalLists:
    """The local lists of every connected charger."""

    def __init__(
        self,
        tokens: TokenSource,
        db: Database,
        clock: Clock,
        call_timeout_s: float = 30.0,
    ) -> None:
        self._tokens = tokens
        self._db = db
        self._clock = clock
        self._timeout_s = call_timeout_s
        self._wakeups: set[asyncio.Event] = set()
        tokens.on_change(self._changed)

    def _changed(self) -> None:
        for wake in self._wakeups:
            wake.set()

    async def serve(self, connection: ChargerConnection) -> None:
        """Keep ``connection``'s charger's list in step until it closes."""
        await connection.ready.wait()
        ident = connection.identity
        port = PORTS[connection.protocol](connection.calls)
        limits = await port.limits(self._timeout_s)
        if limits is None:
            return
        stored = await self._db.run(lambda db: repo.load(db, ident))
        version = 0 if stored is None else stored.version
        held: dict[str, IdStatus] | None = None
        if not connection.booted and stored is not None:
            outcome = await port.version(self._timeout_s)
            if isinstance(outcome, NotConnected | CallFailed):
                self._stopped(ident, "GetLocalListVersion", outcome)
                return
            # no answer: what it holds is not known
            theirs = outcome if isinstance(outcome, int) else -2
            if theirs == -1:
                log.info("OCPP %s: no local list support (version -1)", ident)
                return
            if theirs == stored.version:
                held = {tag: IdStatus(s) for tag, s in stored.entries.items()}
            else:
                log.info(
                    "OCPP %s holds local list version %d, we sent %d: a Full list",
                    ident,
                    theirs,
                    stored.version,
                )
            version = max(version, theirs)
        wake = asyncio.Event()
        self._wakeups.add(wake)
        failures = 0
        left_out = 0
        try:
            while True:
                wake.clear()
                selection = list_plan.select(
                    self._tokens.tokens(),
                    self._tokens.blocked(),
                    limits.local_max,
                    port.id_max,
                )
                if selection.left_out != left_out and selection.left_out:
                    log.warning(
                        "OCPP %s: the local list %s",
                        ident,
                        list_plan.describe(selection, limits.local_max),
                    )
                left_out = selection.left_out
                updates = list_plan.plan(
                    held, selection.entries, limits.send_max, version
                )
                step, held, version = await self._send(
                    ident, port, updates, held, version
                )
                match step:
                    case _Next.STOP:
                        return
                    case _Next.DONE:
                        failures = 0
                        await wake.wait()
                        await self._clock.sleep(SETTLE_S)
                    case _Next.RESYNC:
                        continue
                    case _Next.RETRY:
                        delay = BACKOFF_S[min(failures, len(BACKOFF_S) - 1)]
                        failures += 1
                        with contextlib.suppress(TimeoutError):
                            async with asyncio.timeout(self._clock.to_wall(delay)):
                                await wake.wait()
        finally:
            self._wakeups.discard(wake)

    async def _send(
        self,
        ident: str,
        port: ListPort,
        updates: list[ListUpdate],
        held: dict[str, IdStatus] | None,
        version: int,
    ) -> tuple[_Next, dict[str, IdStatus] | None, int]:
        """Send ``updates`` in order; what to do next, what it holds, its version."""
        for update in updates:
            status = await port.send(update, self._timeout_s)
            if not isinstance(status, str):
                if isinstance(status, NotConnected | CallFailed):
                    self._stopped(ident, "SendLocalList", status)
                    return _Next.STOP, held, version
                return _Next.RETRY, None, version  # it may or may not have applied it
            if status == "Accepted":
                held = list_plan.apply(held, update)
                version = update.version
                await self._record(ident, update)
                continue
            if status == "NotSupported":
                log.info("OCPP %s: SendLocalList NotSupported; no local list", ident)
                return _Next.STOP, held, version
            log.warning(
                "OCPP %s: %s local list version %d answered %s; a Full list follows",
                ident,
                "Full" if update.full else "Differential",
                update.version,
                status,
            )
            # Numbered above what it refused, whatever it holds.
            return (
                _Next.RETRY if update.full else _Next.RESYNC,
                None,
                max(version, update.version),
            )
        if updates:
            log.info(
                "OCPP %s: local list at version %d (%d entries, %d message%s)",
                ident,
                version,
                0 if held is None else len(held),
                len(updates),
                "" if len(updates) == 1 else "s",
            )
        return _Next.DONE, held, version

    async def _record(self, identity: str, update: ListUpdate) -> None:
        entries = [(t, None if s is None else s.value) for t, s in update.entries]
        now = self._clock.utcnow()
        await self._db.run(
            lambda db: repo.accepted(
                db, identity, update.version, update.full, entries, now
            )
        )

    @staticmethod
    def _stopped(identity: str, action: str, outcome: Failure) -> None:
        if isinstance(outcome, NotConnected):
            return
        log.warning(
            "OCPP %s: %s got %s; its local list is not kept for this connection",
            identity,
            action,
            type(outcome).__name__,
        )
