"""OCPI 2.2.1 CDRs module objects: CDR and its parts (also used by Sessions)."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator

from edge.ocpi.common import (
    Bool,
    CiString2,
    CiString3,
    CiString32,
    CiString36,
    CiString39,
    CiString48,
    Currency,
    DateTime,
    GeoLocation,
    Int,
    Number,
    OcpiModel,
    Price,
    String3,
    String10,
    String20,
    String45,
    String255,
    String512,
    String5000,
)
from edge.ocpi.enums import (
    SESSION_ONLY_DIMENSIONS,
    AuthMethod,
    CdrDimensionType,
    ConnectorFormat,
    ConnectorType,
    PowerType,
    TokenType,
)
from edge.ocpi.tariffs import Tariff

NORMAL_CDR_ID_MAX = 36
"""Non-credit CDR ids are at most 36 characters (39 leaves room for ``-C``)."""


class CdrToken(OcpiModel):
    """The token that started a session (eMSP country code and party id)."""

    country_code: CiString2
    party_id: CiString3
    uid: CiString36
    type: TokenType
    contract_id: CiString36


class CdrDimension(OcpiModel):
    """One measured quantity of a charging period, in the type's unit."""

    type: CdrDimensionType
    volume: Number

    @model_validator(mode="after")
    def _state_of_charge_is_a_percentage(self) -> Self:
        if self.type is CdrDimensionType.STATE_OF_CHARGE and not (
            0 <= self.volume <= 100
        ):
            msg = "STATE_OF_CHARGE volume must be 0 to 100"
            raise ValueError(msg)
        return self


class ChargingPeriod(OcpiModel):
    """A period in which nothing cost-relevant changed.

    It ends when the next period starts, or when the session ends. An absent
    ``tariff_id`` means that no tariff is relevant in this period.
    """

    start_date_time: DateTime
    dimensions: list[CdrDimension] = Field(min_length=1)
    tariff_id: CiString36 | None = None


class SignedValue(OcpiModel):
    """One signed meter value (nature ``Start``, ``End``, ``Intermediate``)."""

    nature: CiString32
    plain_data: String5000
    signed_data: String5000


class SignedData(OcpiModel):
    """Calibration-law signed meter data (e.g. German Eichrecht, OCMF)."""

    encoding_method: CiString36
    encoding_method_version: Int | None = None
    public_key: String512 | None = None
    signed_values: list[SignedValue] = Field(min_length=1)
    url: String512 | None = None


class CdrLocation(OcpiModel):
    """The location, EVSE and connector of a CDR, as they were at session start."""

    id: CiString36
    name: String255 | None = None
    address: String45
    city: String45
    postal_code: String10 | None = None
    state: String20 | None = None
    country: String3
    coordinates: GeoLocation
    evse_uid: CiString36
    evse_id: CiString48
    connector_id: CiString36
    connector_standard: ConnectorType
    connector_format: ConnectorFormat
    connector_power_type: PowerType


class CdrCore(OcpiModel):
    """The fields of a CDR other than its cost totals (see :class:`CDR`)."""

    country_code: CiString2
    party_id: CiString3
    id: CiString39
    start_date_time: DateTime
    end_date_time: DateTime
    session_id: CiString36 | None = None
    cdr_token: CdrToken
    auth_method: AuthMethod
    authorization_reference: CiString36 | None = None
    cdr_location: CdrLocation
    meter_id: String255 | None = None
    currency: Currency
    tariffs: list[Tariff] = Field(default_factory=list)
    charging_periods: list[ChargingPeriod] = Field(min_length=1)
    signed_data: SignedData | None = None
    remark: String255 | None = None
    invoice_reference_id: CiString39 | None = None
    credit: Bool | None = None
    credit_reference_id: CiString39 | None = None
    home_charging_compensation: Bool | None = None
    last_updated: DateTime

    @model_validator(mode="after")
    def _cdr_rules(self) -> Self:
        check_cdr_periods(self.charging_periods)
        if self.end_date_time < self.start_date_time:
            msg = "end_date_time is before start_date_time"
            raise ValueError(msg)
        if self.credit and self.credit_reference_id is None:
            msg = "credit_reference_id is required when credit is true"
            raise ValueError(msg)
        if not self.credit and len(self.id) > NORMAL_CDR_ID_MAX:
            msg = f"id of a non-credit CDR is at most {NORMAL_CDR_ID_MAX} characters"
            raise ValueError(msg)
        return self


class CDR(CdrCore):
    """Charge Detail Record: the immutable bill of one session.

    Checked beyond field types: charging periods hold no Session-only dimension
    types; the end is not before the start; a normal CDR id is at most 36
    characters; ``credit`` requires ``credit_reference_id``. (Credit CDRs carry
    negative costs, so cost fields may be negative.)
    """

    total_cost: Price
    total_fixed_cost: Price | None = None
    total_energy: Number
    total_energy_cost: Price | None = None
    total_time: Number
    total_time_cost: Price | None = None
    total_parking_time: Number | None = None
    total_parking_cost: Price | None = None
    total_reservation_cost: Price | None = None


def check_cdr_periods(periods: list[ChargingPeriod]) -> None:
    """Refuse Session-only dimension types in a CDR's charging periods."""
    for index, period in enumerate(periods):
        for dimension in period.dimensions:
            if dimension.type in SESSION_ONLY_DIMENSIONS:
                msg = (
                    f"charging_periods[{index}]: dimension type {dimension.type} "
                    "is for Sessions only, not for CDRs"
                )
                raise ValueError(msg)
