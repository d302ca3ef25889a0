"""OCPI 2.2.1 Locations module objects: Location, EVSE, Connector and parts.

String lengths follow 2.2.1-d2 with the post-d2 errata (``Location.address``
string(255), ``Location.state`` string(45)).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from edge.ocpi.common import (
    Bool,
    CiString2,
    CiString3,
    CiString4,
    CiString36,
    CiString48,
    DateTime,
    DisplayText,
    GeoLocation,
    Int,
    Latitude,
    Longitude,
    NonNegativeNumber,
    OcpiModel,
    String3,
    String4,
    String10,
    String16,
    String45,
    String64,
    String100,
    String255,
    TimeOfDay,
    TimeZoneName,
    Url,
)
from edge.ocpi.enums import (
    Capability,
    ConnectorFormat,
    ConnectorType,
    EnergySourceCategory,
    EnvironmentalImpactCategory,
    Facility,
    ImageCategory,
    ParkingRestriction,
    ParkingType,
    PowerType,
    Status,
    TokenType,
)

Percentage = Annotated[NonNegativeNumber, Field(le=100)]
ImageSize = Annotated[Int, Field(ge=0, le=99999)]
"""int(5): at most five digits."""


class Image(OcpiModel):
    """Link to an image (logo, photo of the charger, ...)."""

    url: Url
    thumbnail: Url | None = None
    category: ImageCategory
    type: CiString4
    width: ImageSize | None = None
    height: ImageSize | None = None


class BusinessDetails(OcpiModel):
    """Name, website and logo of a company."""

    name: String100
    website: Url | None = None
    logo: Image | None = None


class AdditionalGeoLocation(OcpiModel):
    """Another relevant point, e.g. a parking entrance."""

    latitude: Latitude
    longitude: Longitude
    name: DisplayText | None = None


class EnergySource(OcpiModel):
    """Share of one energy source."""

    source: EnergySourceCategory
    percentage: Percentage


class EnvironmentalImpact(OcpiModel):
    """Amount of one environmental impact, in g/kWh."""

    category: EnvironmentalImpactCategory
    amount: NonNegativeNumber


class EnergyMix(OcpiModel):
    """Energy mix and environmental impact of the supplied energy."""

    is_green_energy: Bool
    energy_sources: list[EnergySource] = Field(default_factory=list)
    environ_impact: list[EnvironmentalImpact] = Field(default_factory=list)
    supplier_name: String64 | None = None
    energy_product_name: String64 | None = None


class RegularHours(OcpiModel):
    """Opening hours on one weekday (1 = Monday ... 7 = Sunday), local time."""

    weekday: Annotated[Int, Field(ge=1, le=7)]
    period_begin: TimeOfDay
    period_end: TimeOfDay


class ExceptionalPeriod(OcpiModel):
    """A UTC period of exceptional opening or closing."""

    period_begin: DateTime
    period_end: DateTime


class Hours(OcpiModel):
    """Opening times: 24/7, or regular hours (at least one) plus exceptions."""

    twentyfourseven: Bool
    regular_hours: list[RegularHours] = Field(default_factory=list)
    exceptional_openings: list[ExceptionalPeriod] = Field(default_factory=list)
    exceptional_closings: list[ExceptionalPeriod] = Field(default_factory=list)

    @model_validator(mode="after")
    def _regular_hours_match_247(self) -> Hours:
        if self.twentyfourseven and self.regular_hours:
            msg = "regular_hours must be empty when twentyfourseven is true"
            raise ValueError(msg)
        if not self.twentyfourseven and not self.regular_hours:
            msg = "regular_hours needs at least one entry when twentyfourseven is false"
            raise ValueError(msg)
        return self


class PublishTokenType(OcpiModel):
    """A token (or group) allowed to see an unpublished location."""

    uid: CiString36 | None = None
    type: TokenType | None = None
    visual_number: String64 | None = None
    issuer: String64 | None = None
    group_id: CiString36 | None = None

    @model_validator(mode="after")
    def _enough_to_identify(self) -> PublishTokenType:
        if self.uid is None and self.visual_number is None and self.group_id is None:
            msg = "at least one of uid, visual_number or group_id is required"
            raise ValueError(msg)
        if self.uid is not None and self.type is None:
            msg = "type is required when uid is set"
            raise ValueError(msg)
        if self.visual_number is not None and self.issuer is None:
            msg = "issuer is required when visual_number is set"
            raise ValueError(msg)
        return self


class StatusSchedule(OcpiModel):
    """A planned future status of an EVSE (informational)."""

    period_begin: DateTime
    period_end: DateTime | None = None
    status: Status


class Connector(OcpiModel):
    """One connector of an EVSE (only one usable at a time)."""

    id: CiString36
    standard: ConnectorType
    format: ConnectorFormat
    power_type: PowerType
    max_voltage: Int
    max_amperage: Int
    max_electric_power: Int | None = None
    tariff_ids: list[CiString36] = Field(default_factory=list)
    terms_and_conditions: Url | None = None
    last_updated: DateTime


class EVSE(OcpiModel):
    """An EVSE: one vehicle charges here at a time."""

    uid: CiString36
    evse_id: CiString48 | None = None
    status: Status
    status_schedule: list[StatusSchedule] = Field(default_factory=list)
    capabilities: list[Capability] = Field(default_factory=list)
    connectors: list[Connector] = Field(min_length=1)
    floor_level: String4 | None = None
    coordinates: GeoLocation | None = None
    physical_reference: String16 | None = None
    directions: list[DisplayText] = Field(default_factory=list)
    parking_restrictions: list[ParkingRestriction] = Field(default_factory=list)
    images: list[Image] = Field(default_factory=list)
    last_updated: DateTime


class Location(OcpiModel):
    """A charging location with its EVSEs."""

    country_code: CiString2
    party_id: CiString3
    id: CiString36
    publish: Bool
    publish_allowed_to: list[PublishTokenType] = Field(default_factory=list)
    name: String255 | None = None
    address: String255
    city: String45
    postal_code: String10 | None = None
    state: String45 | None = None
    country: String3
    coordinates: GeoLocation
    related_locations: list[AdditionalGeoLocation] = Field(default_factory=list)
    parking_type: ParkingType | None = None
    evses: list[EVSE] = Field(default_factory=list)
    directions: list[DisplayText] = Field(default_factory=list)
    operator: BusinessDetails | None = None
    suboperator: BusinessDetails | None = None
    owner: BusinessDetails | None = None
    facilities: list[Facility] = Field(default_factory=list)
    time_zone: TimeZoneName
    opening_times: Hours | None = None
    charging_when_closed: Bool | None = None
    images: list[Image] = Field(default_factory=list)
    energy_mix: EnergyMix | None = None
    last_updated: DateTime

    @model_validator(mode="after")
    def _publish_allowed_only_when_unpublished(self) -> Location:
        if self.publish and self.publish_allowed_to:
            msg = "publish_allowed_to may only be set when publish is false"
            raise ValueError(msg)
        return self


__all__ = [
    "EVSE",
    "AdditionalGeoLocation",
    "BusinessDetails",
    "Connector",
    "EnergyMix",
    "EnergySource",
    "EnvironmentalImpact",
    "ExceptionalPeriod",
    "Hours",
    "Image",
    "Location",
    "PublishTokenType",
    "RegularHours",
    "StatusSchedule",
]
