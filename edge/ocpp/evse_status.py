"""What the chargers' connectors show, into the store and the OCPI outbox.

The board EVSEs write their status changes through their state machine's
persistence; an OCPP charger's connector changes when the charger reports it
(StatusNotification) or connects and disconnects. :class:`StatusRecorder`
keeps the store in step: every change of a connector's EVSE is marked, and one
task writes the EVSE's status *as it is when written* (so a burst of reports
is one write of the last one, and a change that leaves the status and its
reason as they were, e.g. a meter value, no write at all), through
:func:`edge.store.evse_status.set_evse_statuses`, which queues the change for
the uplink only when the status (or its reason) changed. At start every
declared connector is written once (UNKNOWN until its charger connects: not
what a previous run last stored). Listeners are called after the write is on
disk.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from edge.model.clock import Clock
from edge.ocpp.central import CentralSystem
from edge.store import evse_status
from edge.store.db import Database

log = logging.getLogger(__name__)

OFFLINE = "charger not connected"
"""The reason stored with an OCPP EVSE's UNKNOWN while its charger is away."""


class StatusRecorder:
    """Writes each OCPP EVSE's status to the store after it changed."""

    def __init__(self, central: CentralSystem, db: Database, clock: Clock) -> None:
        self._central = central
        self._db = db
        self._clock = clock
        self._dirty: dict[str, None] = {}  # an ordered set of EVSE uids
        self._wake = asyncio.Event()
        self._listeners: list[Callable[[str], None]] = []
        self._written: dict[str, tuple[str, str, str | None]] = {}
        """What was last written of each EVSE (a change of nothing is no write)."""
        self._charger_of = {
            uid: charger.identity
            for charger in central.section.charger
            for uid in (c.evse_uid for c in charger.connector)
        }
        central.on_change(self._mark)
        for uid in self._charger_of:
            self._mark(uid)

    def on_recorded(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(evse uid)`` once a change of it is in the store."""
        self._listeners.append(callback)

    def _mark(self, uid: str) -> None:
        self._dirty[uid] = None
        self._wake.set()

    async def run(self) -> None:
        """Write marked EVSEs until cancelled."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            await self.flush()

    async def flush(self) -> None:
        """Write every marked EVSE's status now."""
        batch = list(self._dirty)
        self._dirty.clear()
        if not batch:
            return
        states = self._central.evses()
        now = self._clock.utcnow()
        rows: list[tuple[str, str, str | None]] = []
        for uid in batch:
            state = states.get(uid)
            if state is None:
                continue
            charger = self._central.status[self._charger_of[uid]]
            row = (uid, state.status.value, None if charger.online else OFFLINE)
            if self._written.get(uid) != row:  # e.g. a meter value: no write
                rows.append(row)
        if not rows:
            return
        await self._db.run(lambda d: evse_status.set_evse_statuses(d, rows, now))
        for row in rows:
            self._written[row[0]] = row
        for uid, _, _ in rows:
            for callback in self._listeners:
                try:
                    callback(uid)
                except Exception:  # a listener's bug must not stop the writes
                    log.exception("OCPP EVSE %s: a status listener failed", uid)
