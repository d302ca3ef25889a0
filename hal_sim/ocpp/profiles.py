"""A simulated charger's charging profiles (1.6 SmartCharging), honoured.

Profiles are kept by connector, purpose and stack level (a new one with the
same three, or the same id, replaces the old). The limit at a moment
(:meth:`SimProfiles.limit_a`) is the composite of OCPP 1.6 section 3.13.2: of
each purpose the valid profile of the highest stack level (``validFrom`` ..
``validTo``, and within its schedule's ``duration``), a TxProfile before a
TxDefaultProfile (the connector's before connector 0's), and the minimum of that
and the ChargePointMaxProfile. So a TxProfile or a ChargePointMaxProfile lease
that lapses leaves what lies under it: the permanent failsafe.

Rules a charger applies, and so does this one: a ChargePointMaxProfile only on
connector 0; a TxProfile only on a connector with a transaction (Rejected
otherwise); only ``A`` limits (a ``W`` profile is Rejected: the simulator has
no voltage to turn it into a current). A faulty one (``ignored``) accepts
profiles of some purposes and does not apply them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hal_sim.ocpp.times import central_time, wire

CP_MAX = "ChargePointMaxProfile"
TX_DEFAULT = "TxDefaultProfile"
TX = "TxProfile"


@dataclass(frozen=True)
class SimProfile:
    """One profile as the charger holds it (snake_case fields, from the package)."""

    connector_id: int
    profile_id: int
    stack_level: int
    purpose: str
    start: datetime | None
    duration_s: int | None
    periods: tuple[tuple[int, float], ...]
    """(startPeriod s, limit A), in order."""
    valid_from: datetime | None
    valid_to: datetime | None
    transaction_id: int | None

    def limit_at(self, now: datetime, tx_start: datetime | None) -> float | None:
        """Its limit at ``now`` (None: not valid then)."""
        if self.valid_from is not None and now < self.valid_from:
            return None
        if self.valid_to is not None and now >= self.valid_to:
            return None
        start = self.start or tx_start or now
        offset = (now - start).total_seconds()
        if offset < 0:
            return None
        if self.duration_s is not None and offset >= self.duration_s:
            return None
        limit = None
        for begin, value in self.periods:
            if begin <= offset:
                limit = value
        return limit


@dataclass
class SimProfiles:
    """The profiles one simulated charger holds."""

    has_transaction: Callable[[int], int | None] = lambda _connector: None
    """Connector id -> its running transactionId (None: none runs)."""
    held: dict[tuple[int, str, int], SimProfile] = field(default_factory=dict)
    received: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    """Every SetChargingProfile (connector id, profile), in order (for tests)."""
    answer: str | None = None
    """Answer every SetChargingProfile with this (``Rejected``) when set."""
    has_composite: bool = True
    """False: GetCompositeSchedule is answered with a NotImplemented CALLERROR."""
    ignored: set[str] = field(default_factory=set)
    """Purposes it answers Accepted and then does not apply (a faulty firmware):
    its limit and composite show what it really applies."""

    def set_profile(self, connector_id: int, p: dict[str, Any]) -> str:
        """SetChargingProfile (``p`` in the package's snake_case); its status."""
        self.received.append((connector_id, p))
        if self.answer is not None:
            return self.answer
        purpose = str(p["charging_profile_purpose"])
        schedule = p["charging_schedule"]
        if schedule["charging_rate_unit"] != "A":
            return "Rejected"
        if purpose == CP_MAX and connector_id != 0:
            return "Rejected"
        tx = self.has_transaction(connector_id) if connector_id else None
        if purpose == TX and tx is None:
            return "Rejected"
        if purpose in self.ignored:
            return "Accepted"
        start = schedule.get("start_schedule")
        profile = SimProfile(
            connector_id=connector_id,
            profile_id=int(p["charging_profile_id"]),
            stack_level=int(p["stack_level"]),
            purpose=purpose,
            start=None if start is None else central_time(start),
            duration_s=schedule.get("duration"),
            periods=tuple(
                (int(q["start_period"]), float(q["limit"]))
                for q in schedule["charging_schedule_period"]
            ),
            valid_from=None if "valid_from" not in p else central_time(p["valid_from"]),
            valid_to=None if "valid_to" not in p else central_time(p["valid_to"]),
            transaction_id=p.get("transaction_id", tx if purpose == TX else None),
        )
        self.held = {
            k: v for k, v in self.held.items() if v.profile_id != profile.profile_id
        }
        self.held[(connector_id, purpose, profile.stack_level)] = profile
        return "Accepted"

    def clear(
        self,
        profile_id: int | None = None,
        connector_id: int | None = None,
        purpose: str | None = None,
        stack_level: int | None = None,
    ) -> str:
        """ClearChargingProfile: ``Accepted`` if it removed one, else ``Unknown``."""
        keep = {
            k: v
            for k, v in self.held.items()
            if not (
                (profile_id is None or v.profile_id == profile_id)
                and (connector_id is None or v.connector_id == connector_id)
                and (purpose is None or v.purpose == purpose)
                and (stack_level is None or v.stack_level == stack_level)
            )
        }
        removed = len(self.held) - len(keep)
        self.held = keep
        return "Accepted" if removed else "Unknown"

    def _top(
        self, connector_id: int, purpose: str, now: datetime, tx_start: datetime | None
    ) -> float | None:
        found = sorted(
            (v for v in self.held.values()
             if v.connector_id == connector_id and v.purpose == purpose),
            key=lambda v: -v.stack_level,
        )  # fmt: skip
        for profile in found:
            limit = profile.limit_at(now, tx_start)
            if limit is not None:
                return limit
        return None

    def limit_a(
        self, connector_id: int, now: datetime, tx_start: datetime | None = None
    ) -> float | None:
        """The composite limit per phase on ``connector_id`` now (None: no limit)."""
        tx: float | None = None
        if self.has_transaction(connector_id) is not None:
            tx = self._top(connector_id, TX, now, tx_start)
        if tx is None:
            tx = self._top(connector_id, TX_DEFAULT, now, tx_start)
        if tx is None:
            tx = self._top(0, TX_DEFAULT, now, tx_start)
        cp_max = self._top(0, CP_MAX, now, tx_start)
        limits = [v for v in (tx, cp_max) if v is not None]
        return min(limits) if limits else None

    def composite(
        self, connector_id: int, duration_s: int, now: datetime
    ) -> dict[str, Any] | None:
        """GetCompositeSchedule's schedule (snake_case), sampled each minute."""
        periods: list[dict[str, Any]] = []
        for offset in range(0, max(1, duration_s), 60):
            limit = self.limit_a(connector_id, now + timedelta(seconds=offset))
            if limit is None:
                continue
            if not periods or periods[-1]["limit"] != limit:
                periods.append({"start_period": offset, "limit": limit})
        if not periods:
            return None
        return {
            "duration": duration_s,
            "start_schedule": wire(now),
            "charging_rate_unit": "A",
            "charging_schedule_period": periods,
        }
