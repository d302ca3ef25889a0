"""OCPP 2.0.1 TransactionEvent, billed as every OCPP transaction is.

A 2.0.1 transaction is told in events; each is said again in 1.6's words to
the one transaction path of the site (:class:`~edge.ocpp.handlers.v16_tx.
V16Transactions`: the same store, sessions, OCPI outbox, meter judge, late and
repeated rules), with the station's ``evseId`` as the connector:

* the first event that carries an ``idToken`` begins the transaction there
  (StartTransaction: authorized by the site, billed from the time and energy
  register of the transaction's first event, which may have come before, at
  plug-in); a transaction never authorized bills nothing;
* every event's meter values are its MeterValues; ``Ended`` is its
  StopTransaction (the event's register, else the last believed reading; its
  ``stoppedReason``, Local by default);
* **seqNo** (:mod:`edge.ocpp.transaction_event`): an event whose
  (transactionId, seqNo) was taken before, or any event of a transaction
  whose Ended was taken, changes nothing and is answered; a gap is logged
  with how many are missing; ``offline`` events are taken on their own
  timestamps (up to 7 days old, as 1.6's). What was taken is kept in
  the store (:mod:`edge.store.ocpp201_transactions`), so this holds across
  reconnects and restarts, and a kill between two writes replays into the
  same rows (the 1.6 path finds a repeated start by its time and meterStart);
* the event's ``chargingState`` is what an Occupied EVSE shows
  (:meth:`~edge.ocpp.handlers.v201.V201Handlers.charging_state`).

The answer carries ``idTokenInfo`` when the event carries an idToken.
"""

from __future__ import annotations

import logging
from typing import Any

from edge.model.authorization import AuthDecision
from edge.ocpp.frames import shown
from edge.ocpp.handlers.backing import TxContext
from edge.ocpp.handlers.refusal import PayloadRefused
from edge.ocpp.handlers.v16_tx import V16Transactions
from edge.ocpp.handlers.v201 import V201Handlers
from edge.ocpp.handlers.v201_auth import Swipes, decide_token
from edge.ocpp.id_token import TokenStatus, id_token_info
from edge.ocpp.meter_values import MeterValue, reading
from edge.ocpp.times import wire_time
from edge.ocpp.transaction_event import (
    EventType,
    Repeat,
    TxEvent,
    as_16_samples,
    verdict,
)
from edge.store import ocpp201_transactions as repo

log = logging.getLogger(__name__)

MAX_DECIDED = 64
"""Transactions of one station whose idToken decision is kept (oldest dropped)."""


class V201Transactions:
    """TransactionEvent of one station."""

    def __init__(
        self, ctx: TxContext, billing: V16Transactions, status: V201Handlers
    ) -> None:
        self._charger = ctx.charger
        self._site = ctx.site
        self._clock = ctx.clock
        self._billing = billing
        self._ledger = ctx.ledger
        self._status = status
        self._quiet = ctx.quiet
        self.swipes = Swipes(ctx.clock)
        """Authorize's decisions, each taken by the TransactionEvent it leads to."""
        self._decided: dict[str, AuthDecision] = {}
        """transactionId -> the decision its idToken got (a repeat is not asked
        again); dropped at its Ended."""

    @property
    def identity(self) -> str:
        """The station's identity."""
        return self._charger.identity

    async def transaction_event(self, p: dict[str, Any]) -> dict[str, Any]:
        """TransactionEventRequest: billed once, however often it comes."""
        ev = TxEvent.of(p)
        if ev.seq_no < 0:
            raise PayloadRefused.property("seqNo: below 0")
        if ev.evse_id is not None and ev.evse_id < 1:
            raise PayloadRefused.property("evse/id: below 1")
        identity, tid = self.identity, ev.transaction_id
        known = await self._site.db.run(lambda db: repo.find(db, identity, tid))
        evse_id = ev.evse_id
        if evse_id is None and known is not None:
            evse_id = known.evse_id
        answer: dict[str, Any] = {}
        decision = None
        if ev.id_token is not None:
            decision = await self._decision(ev, evse_id)
            answer["idTokenInfo"] = id_token_info(decision).payload()
        seen = () if known is None else known.seqs
        ended = known is not None and known.ended
        match Repeat() if ended else verdict(seen, ev.seq_no):
            case Repeat():
                log.info(
                    "OCPP %s: TransactionEvent %s seqNo %d of transaction %s "
                    "repeated; answered, nothing changed",
                    identity,
                    ev.event_type,
                    ev.seq_no,
                    shown(tid),
                )
                return answer
            case took if took.missing:
                self._quiet.log(
                    logging.WARNING,
                    (identity, tid, "gap"),
                    "OCPP %s: transaction %s seqNo %d taken with %d before it "
                    "missing (first %s)%s",
                    identity,
                    shown(tid),
                    ev.seq_no,
                    took.missing,
                    ", ".join(map(str, took.first_missing)),
                    "; sent offline" if ev.offline else "",
                )
        if evse_id is None:
            log.warning(
                "OCPP %s: TransactionEvent of transaction %s names no EVSE, and "
                "none is known for it; not billed",
                identity,
                shown(tid),
            )
            await self._taken(ev)
            return answer
        if known is None:
            wh, at, now = self._register(ev), ev.timestamp, self._clock.utcnow()
            eid = evse_id
            known = await self._site.db.run(
                lambda db: repo.first_seen(db, identity, tid, eid, at, wh, now)
            )
        self._status.charging_state(
            evse_id, "Ended" if ev.event_type is EventType.ENDED else ev.charging_state
        )
        tx = known.tx
        if tx is None and decision is not None:
            tx, concurrent = await self._begin(ev, known, evse_id, decision)
            if concurrent:  # the site's rule: one token charges at one EVSE
                answer["idTokenInfo"] = {"status": TokenStatus.CONCURRENT_TX.value}
        if tx is not None:
            await self._meter(ev, evse_id, tx)
            if ev.event_type is EventType.ENDED:
                await self._end(ev, tx)
        elif ev.event_type is EventType.ENDED:
            log.info(
                "OCPP %s EVSE %d: transaction %s ended never authorized; not billed",
                identity,
                evse_id,
                shown(tid),
            )
        await self._taken(ev)
        if ev.event_type is EventType.ENDED:
            self._decided.pop(tid, None)
        return answer

    async def _decision(self, ev: TxEvent, evse_id: int | None) -> AuthDecision:
        """The one decision about the event's idToken (see :class:`Swipes`)."""
        token = {"idToken": ev.id_token, "type": ev.id_token_type or "ISO14443"}
        tid = ev.transaction_id
        before = self._decided.get(tid)
        if before is not None and before.uid == str(ev.id_token).upper():
            return before  # the same event again, or the same token in a later one
        evse_uid = self._evse_uid(evse_id)
        decision = self.swipes.take(token, evse_uid)
        if decision is None:
            decision = await decide_token(self._site, self._charger, token, evse_uid)
        self._decided[tid] = decision
        if len(self._decided) > MAX_DECIDED:  # transactions whose Ended never came
            del self._decided[next(iter(self._decided))]
        return decision

    async def meter_values(self, p: dict[str, Any]) -> dict[str, Any]:
        """MeterValuesRequest (outside a transaction): the EVSE's meter and draw."""
        await self._billing.meter_values(
            {
                "connectorId": int(p["evseId"]),
                "meterValue": [as_16_samples(mv) for mv in p["meterValue"]],
            }
        )
        return {}

    def _evse_uid(self, evse_id: int | None) -> str | None:
        found = [c.evse_uid for c in self._charger.connector if c.id == evse_id]
        return found[0] if found else None

    def _register(self, ev: TxEvent) -> int | None:
        for mv in ev.meter_values:
            r = reading(MeterValue.of(as_16_samples(mv)))
            if r.register is not None:
                return int(r.register.energy_wh)
        return None

    async def _begin(
        self, ev: TxEvent, known: repo.Tx201, evse_id: int, decision: AuthDecision
    ) -> tuple[int, bool]:
        """Its StartTransaction; (its ``ocpp_transactions`` id, ConcurrentTx)."""
        meter_start = known.meter_start_wh
        if meter_start is None:
            meter_start = self._register(ev)
        if meter_start is None:
            log.warning(
                "OCPP %s EVSE %d: transaction %s began with no energy register; "
                "billed from 0 Wh (configure SampledDataCtrlr.TxStartedMeasurands "
                "with Energy.Active.Import.Register)",
                self.identity,
                evse_id,
                shown(ev.transaction_id),
            )
            meter_start = 0
        started = await self._billing.start(
            {
                "connectorId": evse_id,
                "idTag": ev.id_token,
                "meterStart": meter_start,
                "timestamp": wire_time(known.started_at, timespec="microseconds"),
            },
            decision,
        )
        tx = int(started["transactionId"])
        identity, tid = self.identity, ev.transaction_id
        await self._site.db.run(lambda db: repo.billed_as(db, identity, tid, tx))
        return tx, started["idTagInfo"]["status"] == "ConcurrentTx"

    async def _meter(self, ev: TxEvent, evse_id: int, tx: int) -> None:
        if not ev.meter_values:
            return
        await self._billing.meter_values(
            {
                "connectorId": evse_id,
                "transactionId": tx,
                "meterValue": [as_16_samples(mv) for mv in ev.meter_values],
            }
        )

    async def _end(self, ev: TxEvent, tx: int) -> None:
        stop = self._register(ev)
        if stop is None:
            followed = self._ledger.followed.get(tx)
            stop = 0 if followed is None else followed.meter_wh
        await self._billing.stop(
            {
                "transactionId": tx,
                "meterStop": stop,
                "timestamp": wire_time(ev.timestamp, timespec="microseconds"),
                "reason": ev.stopped_reason or "Local",
            }
        )

    async def _taken(self, ev: TxEvent) -> None:
        identity, tid, now = self.identity, ev.transaction_id, self._clock.utcnow()
        kind, seq = ev.event_type.value, ev.seq_no
        await self._site.db.run(
            lambda db: repo.taken(db, identity, tid, seq, kind, now)
        )
