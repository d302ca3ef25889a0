"""OCPP 1.6J transactions: StartTransaction, MeterValues and StopTransaction.

Rules (issue 13 items 2 and 4):

* **StartTransaction** re-authorizes the idTag through the site's authorizer
  (its ``idTagInfo`` is the answer's). An accepted one on a declared connector
  opens a session in the site's store and OCPI outbox, like a board EVSE's;
  the ``transactionId`` is the store's (unique across restarts) and the session
  is committed before the CALLRESULT is sent. A refused idTag, an undeclared
  connector or a start older than :data:`MAX_AGE` is acknowledged with an id
  too, and kept with its reason, not billed.
* **Repeats**: the same connector, start time and meterStart gets the same
  ``transactionId`` back and makes no second session; a repeated
  StopTransaction changes nothing and makes no second CDR.
* **Late** (replayed after the charger was offline): a start up to
  :data:`MAX_AGE` old is billed on its own times; a time more than
  :data:`~.v16_billing.FUTURE_SLACK` ahead of ours is taken as ours (a
  charger's clock that is off must not make a session end before it starts).
* **MeterValues** of a billed transaction are judged before they are believed
  (:mod:`.v16_billing`, :mod:`edge.ocpp.ledger`): a refused reading is
  logged with the charger, connector and why, and bills nothing. The answer
  is always ``{}``: a charger whose MeterValues is refused would retry it for
  ever.
* **StopTransaction** of a transaction we do not know is acknowledged and kept
  with its reason (``ocpp_orphan_stops``), never rejected: a rejection blocks
  the charger's next session. Its meterStop is judged like a reading; refused,
  the session ends on the last believed reading.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from edge.model.authorization import AuthDecision
from edge.model.session import Session, SessionStatus
from edge.model.tokens import TokenType
from edge.ocpp.handlers.auth import ask
from edge.ocpp.handlers.backing import TxContext
from edge.ocpp.handlers.v16_billing import Billing
from edge.ocpp.id_tag import IdTagInfo, IdTagStatus, id_tag_info
from edge.ocpp.ledger import (
    Followed,
)
from edge.ocpp.meter_values import (
    MeterValue,
)
from edge.ocpp.times import charger_time
from edge.store import ocpp_transactions as repo
from edge.store import sessions as sessions_repo
from edge.store.db import StoreHandle

log = logging.getLogger(__name__)

MAX_AGE = timedelta(days=7)
"""A transaction that started longer ago than this is acknowledged, not billed."""
LIVE = timedelta(seconds=60)
"""A start this recent is live (ConcurrentTx is answered to live starts only)."""
OCPP_SESSIONS = uuid.UUID("1f6f2a4e-61c2-4b8e-9d0a-3c5e7b9d2f40")
"""Namespace of the session ids of OCPP transactions."""


def session_id(identity: str, tx_id: int) -> str:
    """The site's session id of a charger's transaction (36 characters)."""
    return str(uuid.uuid5(OCPP_SESSIONS, f"{identity}|{tx_id}"))


@dataclass(frozen=True)
class StartRequest:
    """StartTransaction.req, typed."""

    connector_id: int
    id_tag: str
    meter_start_wh: int
    timestamp: datetime
    reservation_id: int | None

    @classmethod
    def of(cls, p: dict[str, Any]) -> StartRequest:
        """From the schema-valid payload."""
        return cls(
            int(p["connectorId"]),
            str(p["idTag"]),
            int(p["meterStart"]),
            charger_time(str(p["timestamp"])),
            None if p.get("reservationId") is None else int(p["reservationId"]),
        )


@dataclass(frozen=True)
class StopRequest:
    """StopTransaction.req, typed."""

    transaction_id: int
    meter_stop_wh: int
    timestamp: datetime
    reason: str
    id_tag: str | None
    transaction_data: tuple[MeterValue, ...]

    @classmethod
    def of(cls, p: dict[str, Any]) -> StopRequest:
        """From the schema-valid payload (1.6's default reason is Local)."""
        return cls(
            int(p["transactionId"]),
            int(p["meterStop"]),
            charger_time(str(p["timestamp"])),
            str(p.get("reason", "Local")),
            None if p.get("idTag") is None else str(p["idTag"]),
            tuple(MeterValue.of(m) for m in p.get("transactionData", [])),
        )


_CONCURRENT = "idTag refused (ConcurrentTx: it charges at another EVSE)"


def _charging_elsewhere(db: StoreHandle, id_tag: str, evse: str | None) -> bool:
    """Whether ``id_tag`` has an active session at another EVSE than ``evse``."""
    tag = id_tag.upper()
    return any(
        s.token_uid is not None and s.token_uid.upper() == tag and s.evse_uid != evse
        for s in sessions_repo.active_sessions(db)
    )


class V16Transactions:
    """StartTransaction, MeterValues and StopTransaction of one charger."""

    def __init__(self, ctx: TxContext) -> None:
        self._charger = ctx.charger
        self._site = ctx.site
        self._clock = ctx.clock
        self._ledger = ctx.ledger
        self._connectors = {c.id: c for c in ctx.charger.connector}
        self._billing = Billing(ctx)

    @property
    def identity(self) -> str:
        """The charge point identity."""
        return self._charger.identity

    async def _decide(self, id_tag: str, evse_uid: str | None) -> AuthDecision:
        return await ask(
            self._site, self._charger, id_tag, TokenType.RFID, evse_uid, named="idTag"
        )

    # ---- StartTransaction ---------------------------------------------------------
    async def start(
        self, p: dict[str, Any], decided: AuthDecision | None = None
    ) -> dict[str, Any]:
        """StartTransaction.req: store it (durably) and answer its id.

        ``decided``: the idTag's decision already taken (2.0.1: one per swipe).
        """
        req = StartRequest.of(p)
        now = self._clock.utcnow()
        at = self._billing.on_our_clock(req.timestamp)
        connector = self._connectors.get(req.connector_id)
        evse = None if connector is None else connector.evse_uid
        decision = decided or await self._decide(req.id_tag, evse)
        info = id_tag_info(decision)
        refused: str | None = None
        if connector is None:
            refused = f"connector {req.connector_id} is not declared in [ocpp]"
        elif now - at > MAX_AGE:
            refused = (
                f"started {(now - at).days} days before it reached us "
                f"(older than {MAX_AGE.days} days: not billed)"
            )
        elif not info.accepted:
            refused = f"idTag refused ({info.status}: {decision.reason})"
        live = refused is None and now - at <= LIVE
        start = repo.TxStart(
            self.identity, req.connector_id, evse, req.id_tag, at,
            req.meter_start_wh, now,
        )  # fmt: skip
        session_for = None
        if refused is None and evse is not None:
            session_for = self._session_maker(evse, req, at, now, decision)
        extras = sessions_repo.SessionExtras(
            decision.authorization_reference, decision.country_code, decision.party_id
        )

        def record(db: StoreHandle) -> tuple[bool, repo.Begun | repo.Repeated]:
            # the ConcurrentTx check and the begin in one trip to the database
            # thread (a start waits its turn there once, not twice)
            elsewhere = live and _charging_elsewhere(db, req.id_tag, evse)
            why = _CONCURRENT if elsewhere else refused
            maker = None if elsewhere else session_for
            return elsewhere, repo.begin(db, start, maker, why, extras)

        elsewhere, outcome = await self._site.db.run(record)
        if elsewhere:
            info = IdTagInfo(IdTagStatus.CONCURRENT_TX, info.parent_id_tag)
        self._started(outcome, decision)
        return {"transactionId": outcome.tx.id, "idTagInfo": info.payload()}

    def _session_maker(
        self,
        evse: str,
        req: StartRequest,
        at: datetime,
        now: datetime,
        d: AuthDecision,
    ) -> Callable[[int], Session]:
        identity = self.identity

        def make(tx_id: int) -> Session:
            return Session(
                id=session_id(identity, tx_id),
                evse_uid=evse,
                token_uid=d.uid,
                token_type=d.token_type or TokenType.RFID.value,
                contract_id=d.contract_id,
                auth_method=d.method,
                auth_reason=d.reason,
                status=SessionStatus.ACTIVE,
                start=at,
                end=None,
                meter_start_wh=req.meter_start_wh,
                meter_last_wh=req.meter_start_wh,
                meter_stop_wh=None,
                stop_reason=None,
                last_updated=now,
                group_id=d.group_id,
            )

        return make

    def _started(self, outcome: repo.Begun | repo.Repeated, d: AuthDecision) -> None:
        tx = outcome.tx
        match outcome:
            case repo.Repeated():
                log.info(
                    "OCPP %s connector %d: StartTransaction repeated; transaction %d "
                    "again, no second session",
                    self.identity,
                    tx.connector_id,
                    tx.id,
                )
                return
            case repo.Begun(superseded=old) if old is not None:
                self._ledger.drop(old.id)
                log.warning(
                    "OCPP %s connector %d: transaction %d never stopped; closed at "
                    "the start of transaction %d",
                    self.identity,
                    tx.connector_id,
                    old.id,
                    tx.id,
                )
        if tx.session_id is None or tx.evse_uid is None:
            log.warning(
                "OCPP %s connector %d: transaction %d acknowledged, not billed: %s",
                self.identity,
                tx.connector_id,
                tx.id,
                tx.refused,
            )
            return
        self._ledger.follow(
            Followed.new(
                tx.id, tx.session_id, tx.connector_id, tx.evse_uid, tx.id_tag,
                d.group_id, tx.start, tx.meter_start_wh, tx.meter_wh, tx.meter_at,
                None,
            )
        )  # fmt: skip
        log.info(
            "OCPP %s connector %d: transaction %d started, session %s",
            self.identity,
            tx.connector_id,
            tx.id,
            tx.session_id,
        )

    # ---- MeterValues --------------------------------------------------------------
    # ---- MeterValues --------------------------------------------------------------
    async def meter_values(self, p: dict[str, Any]) -> dict[str, Any]:
        """MeterValues.req: believed readings move the transaction's session on."""
        connector_id = int(p["connectorId"])
        tx_id = p.get("transactionId")
        values = [MeterValue.of(m) for m in p["meterValue"]]
        followed = None if tx_id is None else await self._billing.followed(int(tx_id))
        if tx_id is not None and followed is None:
            log.info(
                "OCPP %s connector %d: MeterValues of transaction %s, which is not "
                "running or not billed: not used for billing",
                self.identity,
                connector_id,
                tx_id,
            )
        await self._billing.take(connector_id, values, followed)
        return {}

    # ---- StopTransaction ----------------------------------------------------------
    async def stop(self, p: dict[str, Any]) -> dict[str, Any]:
        """StopTransaction.req: always acknowledged (a CALLRESULT)."""
        req = StopRequest.of(p)
        now = self._clock.utcnow()
        at = self._billing.on_our_clock(req.timestamp)
        answer: dict[str, Any] = {}
        if req.id_tag is not None:
            decision = await self._decide(req.id_tag, None)
            answer["idTagInfo"] = id_tag_info(decision).payload()
        followed = await self._billing.followed(req.transaction_id)
        identity = self.identity
        if followed is None:
            known = await self._site.db.run(
                lambda db: repo.find(db, identity, req.transaction_id)
            )
            if known is None:
                await self._orphan(req, at, now)
            elif known.running:  # acknowledged earlier, not billed
                tid = known.id
                await self._site.db.run(
                    lambda db: repo.finish(
                        db, tid, at, req.meter_stop_wh, req.reason, None, now
                    )
                )
            else:
                log.info(
                    "OCPP %s: StopTransaction of transaction %d repeated; "
                    "acknowledged, nothing changed",
                    self.identity,
                    known.id,
                )
            return answer
        await self._billing.take(
            followed.connector_id, req.transaction_data, followed, show=False
        )
        final = self._billing.final_reading(followed, req.meter_stop_wh, at)
        period = followed.final_period(max(at, followed.start), final)
        end = max(at, followed.start)
        tid = followed.tx_id
        reason = f"OCPP {req.reason}"
        await self._site.db.run(
            lambda db: repo.finish(db, tid, end, final, reason, period, now)
        )
        self._ledger.drop(tid)
        self._ledger.show(followed.connector_id, final, None)
        log.info(
            "OCPP %s connector %d: transaction %d stopped (%s), %d Wh",
            self.identity,
            followed.connector_id,
            tid,
            req.reason,
            final - followed.meter_start_wh,
        )
        return answer

    async def _orphan(self, req: StopRequest, at: datetime, now: datetime) -> None:
        why = f"transaction {req.transaction_id} is not one we issued to this charger"
        orphan = repo.OrphanStop(
            self.identity, req.transaction_id, req.id_tag, at, req.meter_stop_wh,
            req.reason, why, now,
        )  # fmt: skip
        await self._site.db.run(lambda db: repo.record_orphan(db, orphan))
        log.warning(
            "OCPP %s: StopTransaction acknowledged and kept, not billed: %s",
            self.identity,
            why,
        )
