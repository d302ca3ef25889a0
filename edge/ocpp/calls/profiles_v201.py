"""Our 2.0.1 SetChargingProfile, typed: the 1.6 current profiles in 2.0.1's words.

The 2.0.1 counterpart of :class:`edge.ocpp.calls.profiles.ProfileCalls`'s
``set_profile``, for the same :class:`~edge.ocpp.calls.profiles.CurrentProfile`
(a current limit in A per phase, one period from its start on), so that
:mod:`edge.ocpp.charging_profiles` installs the same failsafe, lease and
limits on a 2.0.1 station:

* ``evseId`` takes 1.6's ``connectorId`` (0: the whole station);
* 1.6's ChargePointMaxProfile is 2.0.1's ``ChargingStationMaxProfile``;
  TxDefaultProfile and TxProfile keep their names;
* the schedule is a list of one, with an ``id`` (the profile's);
* a TxProfile names the station's own ``transactionId`` (a string): the
  profile's (our) transaction id is turned into it by ``station_tx``; one the
  station never named cannot be sent (NotSendable).

The answer is Accepted or Rejected (2.0.1 has no NotSupported).

``composite_schedule`` is GetCompositeSchedule of one EVSE in A (K08), as the
1.6 :class:`~edge.ocpp.calls.profiles.CompositeSchedule`: what the station
says it will allow from now on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from edge.ocpp.calls.outgoing import Answered, OutgoingCalls
from edge.ocpp.calls.profiles import (
    CompositeSchedule,
    CurrentProfile,
    ProfilePurpose,
    ProfileStatus,
    SchedulePeriod,
)
from edge.ocpp.calls.v16 import Failure, NotSendable
from edge.ocpp.times import charger_time, wire_time

PURPOSES = {
    ProfilePurpose.CHARGE_POINT_MAX: "ChargingStationMaxProfile",
    ProfilePurpose.TX_DEFAULT: "TxDefaultProfile",
    ProfilePurpose.TX: "TxProfile",
}

StationTx = Callable[[int], Awaitable[str | None]]
"""Our transaction id -> the station's own transactionId (None: not known)."""


def payload(
    evse_id: int, profile: CurrentProfile, station_tx: str | None
) -> dict[str, Any]:
    """The SetChargingProfileRequest of ``profile`` on ``evse_id``."""
    charging: dict[str, Any] = {
        "id": profile.profile_id,
        "stackLevel": profile.stack_level,
        "chargingProfilePurpose": PURPOSES[profile.purpose],
        "chargingProfileKind": "Absolute",
        "chargingSchedule": [
            {
                "id": profile.profile_id,
                "startSchedule": wire_time(profile.start, timespec="seconds"),
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [
                    {"startPeriod": 0, "limit": round(profile.limit_a, 1)}
                ],
            }
        ],
    }
    if station_tx is not None:
        charging["transactionId"] = station_tx
    if profile.valid_to is not None:
        charging["validTo"] = wire_time(profile.valid_to, timespec="seconds")
    return {"evseId": evse_id, "chargingProfile": charging}


class V201ProfileCalls:
    """SetChargingProfile to one connected 2.0.1 station."""

    def __init__(self, calls: OutgoingCalls, station_tx: StationTx) -> None:
        self._calls = calls
        self._station_tx = station_tx

    async def set_profile(
        self, evse_id: int, profile: CurrentProfile, timeout_s: float
    ) -> ProfileStatus | Failure:
        """SetChargingProfile on ``evse_id`` (0: the whole station)."""
        station_tx = None
        if profile.transaction_id is not None:
            station_tx = await self._station_tx(profile.transaction_id)
            if station_tx is None:
                return NotSendable(
                    f"station {self._calls.identity} never named its id of "
                    f"transaction {profile.transaction_id}"
                )
        outcome = await self._calls.call(
            "SetChargingProfile", payload(evse_id, profile, station_tx), timeout_s
        )
        if not isinstance(outcome, Answered):
            return outcome
        return ProfileStatus(outcome.payload["status"])

    async def composite_schedule(
        self, evse_id: int, duration_s: int, timeout_s: float
    ) -> CompositeSchedule | Failure | None:
        """GetCompositeSchedule of ``evse_id`` in A (None: the station Rejected it)."""
        outcome = await self._calls.call(
            "GetCompositeSchedule",
            {"duration": duration_s, "evseId": evse_id, "chargingRateUnit": "A"},
            timeout_s,
        )
        if not isinstance(outcome, Answered):
            return outcome
        p = outcome.payload
        schedule = p.get("schedule")
        if p["status"] != "Accepted" or schedule is None:
            return None
        return CompositeSchedule(
            connector_id=int(schedule["evseId"]),
            start=charger_time(schedule["scheduleStart"]),
            duration_s=int(schedule["duration"]),
            unit=str(schedule["chargingRateUnit"]),
            periods=tuple(
                SchedulePeriod(
                    int(q["startPeriod"]), float(q["limit"]), q.get("numberPhases")
                )
                for q in schedule["chargingSchedulePeriod"]
            ),
        )
