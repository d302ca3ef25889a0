"""What we follow of one charger's transactions, in memory (pure, no IO).

One :class:`Followed` per running billed transaction: its session, the meter
judge's state (:mod:`edge.evse.reading_judge`, the same rules as a board
EVSE's meter: never backwards, never faster than the connector's phases x max
current x voltage can deliver) and the open charging period. The store holds
the same (:mod:`edge.store.ocpp_transactions`); after a restart the ledger is
rebuilt from it. :meth:`Followed.take` judges one reading against what is
believed: the session's energy comes only from readings it believes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from edge.config.ocpp import OcppConnector
from edge.evse import periods
from edge.evse.port import Draw
from edge.evse.reading_judge import (
    Accept,
    JudgeLimits,
    JudgeState,
    Reject,
    Repeat,
    Reset,
    Sample,
    judge,
)
from edge.model.period import ClosedPeriod, OpenPeriod, PeriodKind
from edge.ocpp.meter_values import Reading

PERIOD_HOLD_S = 60.0
"""Seconds (the charger's clock) a switch between drawing and not must hold
before the session's period is cut (as a board EVSE's ``hold_s``)."""
DRAWING_W = 100.0
"""Power above which the EV is drawing (CHARGING, not PARKING)."""
TIME_SLACK_S = 2.0
"""Charger timestamps are often whole seconds: the rate check allows this."""


def limits(connector: OcppConnector) -> JudgeLimits:
    """What one connector's meter can plausibly report."""
    rated = connector.phases * connector.max_current_a * connector.voltage_v
    return JudgeLimits(max_power_w=float(rated), time_slack_s=TIME_SLACK_S)


@dataclass(frozen=True)
class Believed:
    """The reading is believed: the session is at ``meter_wh``."""

    meter_wh: int
    period: OpenPeriod
    closed: ClosedPeriod | None
    """The period this reading ended (``period`` is then the next one)."""


@dataclass(frozen=True)
class Disbelieved:
    """The reading is refused for billing; ``why`` for the log."""

    why: str
    first: bool
    """The first of its episode (log it)."""


@dataclass(frozen=True)
class Stale:
    """Not newer than what was judged already (a repeat): nothing to do."""


Taken = Believed | Disbelieved | Stale


@dataclass
class Followed:
    """One running billed transaction."""

    tx_id: int
    session_id: str
    connector_id: int
    evse_uid: str
    id_tag: str
    group_id: str | None
    start: datetime
    meter_start_wh: int
    meter_wh: int
    judge: JudgeState
    period: OpenPeriod

    @classmethod
    def new(
        cls,
        tx_id: int,
        session_id: str,
        connector_id: int,
        evse_uid: str,
        id_tag: str,
        group_id: str | None,
        start: datetime,
        meter_start_wh: int,
        meter_wh: int,
        meter_at: datetime,
        period: OpenPeriod | None,
    ) -> Followed:
        """Follow a transaction whose last believed reading is ``meter_wh``."""
        last = Sample(float(meter_wh), meter_at.timestamp())
        return cls(
            tx_id, session_id, connector_id, evse_uid, id_tag, group_id, start,
            meter_start_wh, meter_wh, JudgeState(last=last, seen_at=last.read_at),
            period or OpenPeriod(0, start, PeriodKind.CHARGING, meter_start_wh),
        )  # fmt: skip

    def take(self, reading: Reading, base: JudgeLimits) -> Taken:
        """Judge the reading's register; believed, it moves the session on."""
        register = reading.register
        if register is None:
            return Stale()
        at = reading.at.timestamp()
        sample = Sample(register.energy_wh, at, reading.power_w)
        state, verdict = judge(
            self.judge, sample, replace(base, step_wh=register.step_wh)
        )
        match verdict:
            case Repeat():
                return Stale()
            case Reject(reason=reason, detail=detail, first=first):
                self.judge = state
                return Disbelieved(f"{reason.value}: {detail}", first)
            case Reset():  # a far lower meter: never a new baseline mid-session
                return Disbelieved(
                    "BACKWARDS: far below the session's reading (a reset meter?)",
                    False,
                )
            case Accept():
                self.judge = state
            case _:  # Pending: impossible, a baseline is always known
                return Stale()
        wh = max(self.meter_wh, int(register.energy_wh))
        drawing = (
            reading.power_w > DRAWING_W
            if reading.power_w is not None
            else wh > self.meter_wh
        )
        self.meter_wh = wh
        period = self.period
        if reading.power_w is not None:
            period = period.observe(reading.current_a, reading.power_w)
        period, closed = periods.advance(
            period, drawing, at, reading.at, wh, PERIOD_HOLD_S
        )
        self.period = period
        return Believed(wh, period, closed)

    def final_period(self, end: datetime, meter_wh: int) -> ClosedPeriod:
        """The open period, closed at the transaction's stop."""
        return self.period.close(max(end, self.period.start), meter_wh)


@dataclass
class ConnectorMeter:
    """What the view shows of one connector's meter (believed readings only)."""

    meter_wh: int | None = None
    draw: Draw | None = None


class ChargerLedger:
    """The transactions of one charger that we follow, and its connectors' meters."""

    def __init__(
        self, connectors: dict[int, OcppConnector], changed: Callable[[str], None]
    ) -> None:
        self.connectors = connectors
        self._changed = changed
        self.followed: dict[int, Followed] = {}
        self.meters: dict[int, ConnectorMeter] = {
            c: ConnectorMeter() for c in connectors
        }

    def follow(self, f: Followed) -> None:
        """Follow a transaction (a new one, or one resumed from the store)."""
        self.followed[f.tx_id] = f
        self.show(f.connector_id, f.meter_wh, None)

    def drop(self, tx_id: int) -> None:
        """Stop following a transaction."""
        f = self.followed.pop(tx_id, None)
        if f is not None:
            self.changed(f.connector_id)

    def running_on(self, connector_id: int) -> Followed | None:
        """The transaction running on a connector (the newest, if several)."""
        found = [f for f in self.followed.values() if f.connector_id == connector_id]
        return max(found, key=lambda f: f.tx_id) if found else None

    def show(self, connector_id: int, meter_wh: int | None, draw: Draw | None) -> None:
        """A believed meter reading (and draw) for the view."""
        meter = self.meters.get(connector_id)
        if meter is None:
            return
        if meter_wh is not None:
            meter.meter_wh = max(meter.meter_wh or 0, meter_wh)
        if draw is not None:
            meter.draw = draw
        self.changed(connector_id)

    def changed(self, connector_id: int) -> None:
        """Tell the view's listeners that a connector's EVSE changed."""
        connector = self.connectors.get(connector_id)
        if connector is not None:
            self._changed(connector.evse_uid)
