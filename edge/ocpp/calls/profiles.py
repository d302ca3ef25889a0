"""Our 1.6J smart-charging calls, typed: Set/ClearChargingProfile, GetCompositeSchedule.

Like :mod:`edge.ocpp.calls.v16`: each call goes through the charger's
:class:`~edge.ocpp.calls.outgoing.OutgoingCalls` and returns the answer as a
typed value or the :data:`~edge.ocpp.calls.v16.Failure` that happened instead.

Profiles here are current limits, in A per phase (``chargingRateUnit`` A, the
one unit every charger takes), with one period: a limit from its start on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from edge.ocpp.calls.outgoing import Answered, OutgoingCalls
from edge.ocpp.calls.v16 import Failure, NotSendable
from edge.ocpp.times import charger_time, wire_time


class ProfilePurpose(StrEnum):
    """``chargingProfilePurpose``."""

    CHARGE_POINT_MAX = "ChargePointMaxProfile"
    """The whole charger (connector 0 only)."""
    TX_DEFAULT = "TxDefaultProfile"
    """New transactions (and a running one without a TxProfile) on a connector."""
    TX = "TxProfile"
    """The transaction running on a connector."""


class ProfileStatus(StrEnum):
    """SetChargingProfile's answer."""

    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    NOT_SUPPORTED = "NotSupported"


class ClearStatus(StrEnum):
    """ClearChargingProfile's answer."""

    ACCEPTED = "Accepted"
    UNKNOWN = "Unknown"


@dataclass(frozen=True)
class CurrentProfile:
    """A charging profile of one period: at most ``limit_a`` per phase."""

    profile_id: int
    stack_level: int
    purpose: ProfilePurpose
    limit_a: float
    start: datetime
    """``startSchedule`` (an Absolute profile)."""
    valid_to: datetime | None = None
    """None: until replaced or cleared."""
    transaction_id: int | None = None
    """A TxProfile's transaction."""

    def payload(self) -> dict[str, Any]:
        """The ``csChargingProfiles`` object."""
        profile: dict[str, Any] = {
            "chargingProfileId": self.profile_id,
            "stackLevel": self.stack_level,
            "chargingProfilePurpose": self.purpose.value,
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "startSchedule": wire_time(self.start, timespec="seconds"),
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [
                    {"startPeriod": 0, "limit": round(self.limit_a, 1)}
                ],
            },
        }
        if self.transaction_id is not None:
            profile["transactionId"] = self.transaction_id
        if self.valid_to is not None:
            profile["validTo"] = wire_time(self.valid_to, timespec="seconds")
        return profile


@dataclass(frozen=True)
class SchedulePeriod:
    """One period of a composite schedule."""

    start_s: int
    limit: float
    phases: int | None


@dataclass(frozen=True)
class CompositeSchedule:
    """GetCompositeSchedule's answer: what the charger will allow, from ``start``."""

    connector_id: int
    start: datetime | None
    duration_s: int | None
    unit: str
    periods: tuple[SchedulePeriod, ...]

    def limit_now(self) -> float | None:
        """The first period's limit (None: no period)."""
        return self.periods[0].limit if self.periods else None


class ProfileSetter(Protocol):
    """SetChargingProfile to one connected charger, in its protocol's words.

    :class:`ProfileCalls` (1.6J) and
    :class:`~edge.ocpp.calls.profiles_v201.V201ProfileCalls` (2.0.1).
    """

    async def set_profile(
        self, connector_id: int, profile: CurrentProfile, timeout_s: float
    ) -> ProfileStatus | Failure:
        """Install ``profile`` on ``connector_id`` (0: the whole charger)."""
        ...

    async def composite_schedule(
        self, connector_id: int, duration_s: int, timeout_s: float
    ) -> CompositeSchedule | Failure | None:
        """What the charger will allow on ``connector_id`` (None: Rejected)."""
        ...


def shown(answer: object) -> str:
    """A profile call's answer in a log line: its status, or its failure's name."""
    return answer.value if isinstance(answer, ProfileStatus) else type(answer).__name__


class ProfileCalls:
    """The typed smart-charging calls to one connected 1.6J charger."""

    def __init__(self, calls: OutgoingCalls) -> None:
        self._calls = calls

    async def _call(
        self, action: str, payload: dict[str, Any], timeout_s: float
    ) -> Answered | Failure:
        if self._calls.protocol != "ocpp1.6":
            return NotSendable(
                f"{action} is OCPP 1.6; charger {self._calls.identity} speaks "
                f"{self._calls.protocol}"
            )
        return await self._calls.call(action, payload, timeout_s)

    async def set_profile(
        self, connector_id: int, profile: CurrentProfile, timeout_s: float
    ) -> ProfileStatus | Failure:
        """SetChargingProfile on ``connector_id`` (0: the whole charger)."""
        outcome = await self._call(
            "SetChargingProfile",
            {"connectorId": connector_id, "csChargingProfiles": profile.payload()},
            timeout_s,
        )
        if not isinstance(outcome, Answered):
            return outcome
        return ProfileStatus(outcome.payload["status"])

    async def clear_profile(
        self,
        timeout_s: float,
        *,
        profile_id: int | None = None,
        connector_id: int | None = None,
        purpose: ProfilePurpose | None = None,
        stack_level: int | None = None,
    ) -> ClearStatus | Failure:
        """ClearChargingProfile: the profiles matching every criterion given."""
        payload: dict[str, Any] = {}
        if profile_id is not None:
            payload["id"] = profile_id
        if connector_id is not None:
            payload["connectorId"] = connector_id
        if purpose is not None:
            payload["chargingProfilePurpose"] = purpose.value
        if stack_level is not None:
            payload["stackLevel"] = stack_level
        outcome = await self._call("ClearChargingProfile", payload, timeout_s)
        if not isinstance(outcome, Answered):
            return outcome
        return ClearStatus(outcome.payload["status"])

    async def composite_schedule(
        self, connector_id: int, duration_s: int, timeout_s: float
    ) -> CompositeSchedule | Failure | None:
        """GetCompositeSchedule in A (None: the charger answered Rejected)."""
        outcome = await self._call(
            "GetCompositeSchedule",
            {
                "connectorId": connector_id,
                "duration": duration_s,
                "chargingRateUnit": "A",
            },
            timeout_s,
        )
        if not isinstance(outcome, Answered):
            return outcome
        p = outcome.payload
        if p["status"] != "Accepted":
            return None
        schedule = p.get("chargingSchedule") or {}
        start = p.get("scheduleStart") or schedule.get("startSchedule")
        return CompositeSchedule(
            connector_id=int(p.get("connectorId", connector_id)),
            start=None if start is None else charger_time(start),
            duration_s=schedule.get("duration"),
            unit=str(schedule.get("chargingRateUnit", "A")),
            periods=tuple(
                SchedulePeriod(
                    int(q["startPeriod"]), float(q["limit"]), q.get("numberPhases")
                )
                for q in schedule.get("chargingSchedulePeriod", [])
            ),
        )
