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
  :data:`FUTURE_SLACK` ahead of ours is taken as ours (a charger's clock that
  is off must not make a session end before it starts).
* **MeterValues** of a billed transaction are judged before they are believed
  (:mod:`edge.ocpp.ledger`): a refused reading is logged with the charger,
  connector and why, and bills nothing. The answer is always ``{}``: a charger
  whose MeterValues is refused would retry it for ever.
* **StopTransaction** of a transaction we do not know is acknowledged and kept
  with its reason (``ocpp_orphan_stops``), never rejected: a rejection blocks
  the charger's next session. Its meterStop is judged like a reading; refused,
  the session ends on the last believed reading.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from edge.config.ocpp import OcppCharger
from edge.evse.port import Draw
from edge.logthrottle import Throttle
from edge.model.authorization import AuthDecision
from edge.model.clock import Clock
from edge.model.redact import redact_uid
from edge.model.session import Session, SessionStatus
from edge.model.tokens import TokenType
from edge.ocpp.handlers.backing import SiteBacking
from edge.ocpp.id_tag import IdTagInfo, IdTagStatus, id_tag_info
from edge.ocpp.ledger import (
    Believed,
    ChargerLedger,
    Disbelieved,
    Followed,
    limits,
)
from edge.ocpp.meter_values import (
    MeterValue,
    Reading,
    Register,
    reading,
)
from edge.ocpp.times import charger_time
from edge.store import ocpp_transactions as repo
from edge.store import sessions as sessions_repo

log = logging.getLogger(__name__)

MAX_AGE = timedelta(days=7)
"""A transaction that started longer ago than this is acknowledged, not billed."""
FUTURE_SLACK = timedelta(minutes=5)
"""A charger time this far ahead of ours is taken as ours."""
CHECKPOINT_HOLD_S = 10.0
"""Site seconds a believed reading's write may wait for group commit."""
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


class V16Transactions:
    """StartTransaction, MeterValues and StopTransaction of one charger."""

    def __init__(
        self,
        charger: OcppCharger,
        site: SiteBacking,
        clock: Clock,
        ledger: ChargerLedger,
        quiet: Throttle,
    ) -> None:
        self._charger = charger
        self._site = site
        self._clock = clock
        self._ledger = ledger
        self._quiet = quiet
        self._connectors = {c.id: c for c in charger.connector}

    @property
    def identity(self) -> str:
        """The charge point identity."""
        return self._charger.identity

    def _time(self, at: datetime) -> datetime:
        now = self._clock.utcnow()
        if at - now > FUTURE_SLACK:
            log.warning(
                "OCPP %s: a time %s ahead of ours is taken as ours (its clock is off)",
                self.identity,
                at - now,
            )
            return now
        return at

    async def _decide(self, id_tag: str, evse_uid: str | None) -> AuthDecision:
        decision = await self._site.authorization.authorize(
            id_tag, TokenType.RFID, evse_uid
        )
        log.info(
            "OCPP %s: idTag %s %s (%s)",
            self.identity,
            redact_uid(id_tag),
            "accepted" if decision.accepted else "refused",
            decision.reason,
        )
        return decision

    # ---- StartTransaction ---------------------------------------------------------
    async def start(
        self, p: dict[str, Any], decided: AuthDecision | None = None
    ) -> dict[str, Any]:
        """StartTransaction.req: store it (durably) and answer its id.

        ``decided``: the idTag's decision already taken (2.0.1: one per swipe).
        """
        req = StartRequest.of(p)
        now = self._clock.utcnow()
        at = self._time(req.timestamp)
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
        elif now - at <= LIVE and await self._charging_elsewhere(req.id_tag, evse):
            info = IdTagInfo(IdTagStatus.CONCURRENT_TX, info.parent_id_tag)
            refused = "idTag refused (ConcurrentTx: it charges at another EVSE)"
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
        outcome = await self._site.db.run(
            lambda db: repo.begin(db, start, session_for, refused, extras)
        )
        self._started(outcome, decision)
        return {"transactionId": outcome.tx.id, "idTagInfo": info.payload()}

    async def _charging_elsewhere(self, id_tag: str, evse: str | None) -> bool:
        active = await self._site.db.run(sessions_repo.active_sessions)
        tag = id_tag.upper()
        return any(
            s.token_uid is not None
            and s.token_uid.upper() == tag
            and s.evse_uid != evse
            for s in active
        )

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

    async def _followed(self, tx_id: int) -> Followed | None:
        """A running billed transaction (from the store after a restart)."""
        f = self._ledger.followed.get(tx_id)
        if f is not None:
            return f
        identity = self.identity

        def load(db: Any) -> Followed | None:
            tx = repo.find(db, identity, tx_id)
            return None if tx is None else _followed_of(db, tx)

        f = await self._site.db.run(load)
        if f is not None:
            self._ledger.follow(f)
        return f

    # ---- MeterValues --------------------------------------------------------------
    async def meter_values(self, p: dict[str, Any]) -> dict[str, Any]:
        """MeterValues.req: believed readings move the transaction's session on."""
        connector_id = int(p["connectorId"])
        tx_id = p.get("transactionId")
        values = sorted((MeterValue.of(m) for m in p["meterValue"]), key=lambda m: m.at)
        followed = None if tx_id is None else await self._followed(int(tx_id))
        if tx_id is not None and followed is None:
            log.info(
                "OCPP %s connector %d: MeterValues of transaction %s, which is not "
                "running or not billed: not used for billing",
                self.identity,
                connector_id,
                tx_id,
            )
        for mv in values:
            r = reading(replace_at(mv, self._time(mv.at)))
            self._refusals(connector_id, r.refused)
            self._show(connector_id, r, followed is None)
            if followed is not None:
                await self._bill(followed, r)
        return {}

    def _refusals(self, connector_id: int, refused: tuple[str, ...]) -> None:
        for why in refused:
            self._quiet.log(
                logging.WARNING,
                (self.identity, connector_id, why),
                "OCPP %s connector %d: reading refused for billing: %s",
                self.identity,
                connector_id,
                why,
            )

    def _show(self, connector_id: int, r: Reading, meter_too: bool) -> None:
        now = self._clock.utcnow()
        recent = abs(now - r.at) <= LIVE
        draw = None
        if recent and (r.power_w is not None or any(r.currents_a)):
            draw = Draw(r.power_w or 0.0, r.currents_a, self._clock.monotonic())
        wh = None
        if meter_too and r.register is not None:
            wh = int(r.register.energy_wh)
        if draw is not None or wh is not None:
            self._ledger.show(connector_id, wh, draw)

    async def _bill(self, f: Followed, r: Reading) -> None:
        connector = self._connectors[f.connector_id]
        match f.take(r, limits(connector)):
            case Believed(meter_wh=wh, period=period, closed=closed):
                now = self._clock.utcnow()
                tx_id, at = f.tx_id, r.at
                self._ledger.show(f.connector_id, wh, None)
                self._checkpoint(
                    lambda db: repo.progress(db, tx_id, wh, at, now, period, closed),
                    tx_id,
                )
            case Disbelieved(why=why):
                self._quiet.log(
                    logging.WARNING,
                    (self.identity, f.connector_id, "judge", why.split(":")[0]),
                    "OCPP %s connector %d: reading of transaction %d refused for "
                    "billing: %s",
                    self.identity,
                    f.connector_id,
                    f.tx_id,
                    why,
                )
            case _:
                pass

    def _checkpoint(self, write: Callable[[Any], object], tx_id: int) -> None:
        """Hold a reading's write for group commit, as a board's checkpoint is.

        A power cut within :data:`CHECKPOINT_HOLD_S` loses that checkpoint only:
        the charger's StopTransaction carries its meterStop, and the next
        write (any StartTransaction or StopTransaction) commits it first.
        """
        done = self._site.db.write_later(write, self._clock.to_wall(CHECKPOINT_HOLD_S))
        identity = self.identity

        def failed(f: asyncio.Future[None]) -> None:
            if not f.cancelled() and f.exception() is not None:
                log.error(
                    "OCPP %s: checkpoint of transaction %d not stored: %s",
                    identity,
                    tx_id,
                    f.exception(),
                )

        done.add_done_callback(failed)

    # ---- StopTransaction ----------------------------------------------------------
    async def stop(self, p: dict[str, Any]) -> dict[str, Any]:
        """StopTransaction.req: always acknowledged (a CALLRESULT)."""
        req = StopRequest.of(p)
        now = self._clock.utcnow()
        at = self._time(req.timestamp)
        answer: dict[str, Any] = {}
        if req.id_tag is not None:
            decision = await self._decide(req.id_tag, None)
            answer["idTagInfo"] = id_tag_info(decision).payload()
        followed = await self._followed(req.transaction_id)
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
        for mv in sorted(req.transaction_data, key=lambda m: m.at):
            r = reading(replace_at(mv, self._time(mv.at)))
            self._refusals(followed.connector_id, r.refused)
            await self._bill(followed, r)
        final = self._final_reading(followed, req, at)
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

    def _final_reading(self, f: Followed, req: StopRequest, at: datetime) -> int:
        """MeterStop if it is believed, else the last believed reading."""
        connector = self._connectors[f.connector_id]
        stop = Reading(
            at,
            _register(req.meter_stop_wh),
            None,
            (None, None, None),
            (),
        )
        taken = f.take(stop, limits(connector))
        if isinstance(taken, Disbelieved):
            log.warning(
                "OCPP %s connector %d: meterStop %d of transaction %d refused for "
                "billing (%s); the session ends on %d Wh",
                self.identity,
                f.connector_id,
                req.meter_stop_wh,
                f.tx_id,
                taken.why,
                f.meter_wh,
            )
        return f.meter_wh

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


def _followed_of(db: Any, tx: repo.TxRecord) -> Followed | None:
    """The ledger entry of a stored running billed transaction."""
    if not tx.running or tx.session_id is None or tx.evse_uid is None:
        return None
    session = sessions_repo.get_session(db, tx.session_id)
    return Followed.new(
        tx.id, tx.session_id, tx.connector_id, tx.evse_uid, tx.id_tag,
        None if session is None else session.group_id, tx.start,
        tx.meter_start_wh, tx.meter_wh, tx.meter_at,
        sessions_repo.open_period(db, tx.session_id),
    )  # fmt: skip


def resumable(db: Any) -> list[tuple[str, Followed]]:
    """On the database thread: every running billed transaction, by charger."""
    out = []
    for tx in repo.running(db):
        f = _followed_of(db, tx)
        if f is not None:
            out.append((tx.charger, f))
    return out


def replace_at(mv: MeterValue, at: datetime) -> MeterValue:
    """The same MeterValue at another time (a clock that was off, taken as ours)."""
    return mv if mv.at == at else MeterValue(at, mv.samples)


def _register(meter_wh: int) -> Register:
    return Register(float(meter_wh), 1.0, "Transaction.End")
