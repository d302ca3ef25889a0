"""The readings of one OCPP charger's billed transactions: judged, shown, written.

What :mod:`.v16_tx` (and through it 2.0.1's TransactionEvent) does with the
MeterValues of a transaction, and with a StopTransaction's transactionData
and meterStop: each reading is judged (:mod:`edge.ocpp.ledger`) before it is
believed; a refused one is logged (throttled, per charger, connector and
why) and bills nothing; a believed one moves the session on and its write is
held for group commit. A charger time more than :data:`FUTURE_SLACK` ahead of
ours is taken as ours.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from edge.evse.port import Draw
from edge.ocpp.handlers.backing import TxContext
from edge.ocpp.ledger import (
    Believed,
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
from edge.store import ocpp_transactions as repo
from edge.store import sessions as sessions_repo

log = logging.getLogger(__name__)

FUTURE_SLACK = timedelta(minutes=5)
"""A charger time this far ahead of ours is taken as ours."""
CHECKPOINT_HOLD_S = 10.0
"""Site seconds a believed reading's write may wait for group commit."""
LIVE = timedelta(seconds=60)
"""A reading this recent is shown as the connector's draw."""


class Billing:
    """The readings of one charger's running billed transactions."""

    def __init__(self, ctx: TxContext) -> None:
        self._charger = ctx.charger
        self._site = ctx.site
        self._clock = ctx.clock
        self._ledger = ctx.ledger
        self._quiet = ctx.quiet
        self._connectors = {c.id: c for c in ctx.charger.connector}

    @property
    def identity(self) -> str:
        """The charge point identity."""
        return self._charger.identity

    def on_our_clock(self, at: datetime) -> datetime:
        """A charger's time, or ours when it is too far ahead (its clock is off)."""
        now = self._clock.utcnow()
        if at - now > FUTURE_SLACK:
            log.warning(
                "OCPP %s: a time %s ahead of ours is taken as ours (its clock is off)",
                self.identity,
                at - now,
            )
            return now
        return at

    async def followed(self, tx_id: int) -> Followed | None:
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

    async def take(
        self,
        connector_id: int,
        values: Iterable[MeterValue],
        followed: Followed | None,
        *,
        show: bool = True,
    ) -> None:
        """A connector's readings, oldest first: shown, and billed if followed."""
        for mv in sorted(values, key=lambda m: m.at):
            r = reading(replace_at(mv, self.on_our_clock(mv.at)))
            self._refusals(connector_id, r.refused)
            if show:
                self._show(connector_id, r, followed is None)
            if followed is not None:
                await self._bill(followed, r)

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

    def final_reading(self, f: Followed, meter_stop_wh: int, at: datetime) -> int:
        """MeterStop if it is believed, else the last believed reading."""
        connector = self._connectors[f.connector_id]
        stop = Reading(
            at,
            _register(meter_stop_wh),
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
                meter_stop_wh,
                f.tx_id,
                taken.why,
                f.meter_wh,
            )
        return f.meter_wh


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
