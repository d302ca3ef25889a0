"""OCPI 2.2.1 Tariffs module objects: Tariff, TariffElement, PriceComponent.

Evaluation (which component applies when, step sizes, VAT) lives in
:mod:`edge.tariff`; these classes only carry and check the data.
"""

from __future__ import annotations

from pydantic import Field

from edge.ocpi.common import (
    CiString2,
    CiString3,
    CiString36,
    Currency,
    DateTime,
    DisplayText,
    LocalDate,
    NonNegativeInt,
    NonNegativeNumber,
    Number,
    OcpiModel,
    Price,
    TimeOfDay,
    Url,
)
from edge.ocpi.enums import (
    DayOfWeek,
    ReservationRestrictionType,
    TariffDimensionType,
    TariffType,
)
from edge.ocpi.locations import EnergyMix


class PriceComponent(OcpiModel):
    """Price of one dimension: per kWh, per hour, or a flat fee.

    ``price`` is excluding VAT. ``vat`` is a percentage; absent means no VAT is
    applicable (which is not the same as 0 %). ``step_size`` is in Wh for ENERGY,
    in seconds for TIME and PARKING_TIME, and meaningless for FLAT. Negative
    prices, VAT or step sizes are refused: the spec gives them no meaning.
    """

    type: TariffDimensionType
    price: NonNegativeNumber
    vat: NonNegativeNumber | None = None
    step_size: NonNegativeInt


class TariffRestrictions(OcpiModel):
    """When a tariff element is active; every set field must hold (AND).

    Times and dates are local to ``Location.time_zone``; currents are the sum over
    phases in A; powers in kW; durations in seconds.
    """

    start_time: TimeOfDay | None = None
    end_time: TimeOfDay | None = None
    start_date: LocalDate | None = None
    end_date: LocalDate | None = None
    min_kwh: Number | None = None
    max_kwh: Number | None = None
    min_current: Number | None = None
    max_current: Number | None = None
    min_power: Number | None = None
    max_power: Number | None = None
    min_duration: NonNegativeInt | None = None
    max_duration: NonNegativeInt | None = None
    day_of_week: list[DayOfWeek] = Field(default_factory=list)
    reservation: ReservationRestrictionType | None = None


class TariffElement(OcpiModel):
    """Price components that apply under the same restrictions."""

    price_components: list[PriceComponent] = Field(min_length=1)
    restrictions: TariffRestrictions | None = None


class Tariff(OcpiModel):
    """A CPO tariff: an ordered list of elements plus optional price bounds."""

    country_code: CiString2
    party_id: CiString3
    id: CiString36
    currency: Currency
    type: TariffType | None = None
    tariff_alt_text: list[DisplayText] = Field(default_factory=list)
    tariff_alt_url: Url | None = None
    min_price: Price | None = None
    max_price: Price | None = None
    elements: list[TariffElement] = Field(min_length=1)
    start_date_time: DateTime | None = None
    end_date_time: DateTime | None = None
    energy_mix: EnergyMix | None = None
    last_updated: DateTime
