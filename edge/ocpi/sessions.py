"""OCPI 2.2.1 Sessions module objects: Session and ChargingPreferences."""

from __future__ import annotations

from pydantic import Field

from edge.ocpi.cdrs import CdrToken, ChargingPeriod
from edge.ocpi.common import (
    Bool,
    CiString2,
    CiString3,
    CiString36,
    Currency,
    DateTime,
    Number,
    OcpiModel,
    Price,
    String255,
)
from edge.ocpi.enums import AuthMethod, ProfileType, SessionStatus


class Session(OcpiModel):
    """A charging session as the CPO reports it while it runs.

    ``evse_uid`` and ``connector_id`` may be ``#NA`` for a reservation not yet
    bound to an EVSE. An absent ``total_cost`` does not mean free.
    """

    country_code: CiString2
    party_id: CiString3
    id: CiString36
    start_date_time: DateTime
    end_date_time: DateTime | None = None
    kwh: Number
    cdr_token: CdrToken
    auth_method: AuthMethod
    authorization_reference: CiString36 | None = None
    location_id: CiString36
    evse_uid: CiString36
    connector_id: CiString36
    meter_id: String255 | None = None
    currency: Currency
    charging_periods: list[ChargingPeriod] = Field(default_factory=list)
    total_cost: Price | None = None
    status: SessionStatus
    last_updated: DateTime


class ChargingPreferences(OcpiModel):
    """Preferences the driver sets for a session (energy need in kWh)."""

    profile_type: ProfileType
    departure_time: DateTime | None = None
    energy_need: Number | None = None
    discharge_allowed: Bool | None = None
