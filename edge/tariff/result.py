"""What the engine returns: priced lines and the CDR's cost totals."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from edge.ocpi import Price, TariffDimensionType

DEFAULT_DECIMALS = 4
"""OCPI numbers carry 4 decimals; results are rounded half-up to that by default."""


class CostCategory(StrEnum):
    """Which CDR cost field a line counts towards."""

    FIXED = "FIXED"
    ENERGY = "ENERGY"
    TIME = "TIME"
    PARKING = "PARKING"
    RESERVATION = "RESERVATION"


@dataclass(frozen=True)
class CostLine:
    """One priced quantity: a slice of a period under one price component.

    ``quantity`` is what is billed, after step rounding: kWh for ENERGY, hours for
    TIME and PARKING_TIME, 1 for FLAT. Money is kept at full precision.
    """

    category: CostCategory
    dimension: TariffDimensionType
    element_index: int
    period_index: int
    start: datetime
    quantity: Decimal
    unit_price: Decimal
    vat: Decimal | None
    excl_vat: Decimal
    incl_vat: Decimal


@dataclass(frozen=True)
class Money:
    """A full-precision amount, excluding and including VAT."""

    excl_vat: Decimal
    incl_vat: Decimal

    def __add__(self, other: Money) -> Money:
        """Add two amounts."""
        return Money(self.excl_vat + other.excl_vat, self.incl_vat + other.incl_vat)

    def price(self, decimals: int = DEFAULT_DECIMALS) -> Price:
        """Round half-up to *decimals* places as an OCPI ``Price``."""
        return Price(
            excl_vat=round_money(self.excl_vat, decimals),
            incl_vat=round_money(self.incl_vat, decimals),
        )


ZERO_MONEY = Money(Decimal(0), Decimal(0))


def round_money(value: Decimal, decimals: int = DEFAULT_DECIMALS) -> Decimal:
    """Round half-up (away from zero on ties) to *decimals* places."""
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class TariffCost:
    """Cost fields of a session as a CDR carries them, plus the priced lines.

    Every ``Price`` is rounded (4 decimals by default) from full-precision sums,
    so ``total_cost`` equals the sum of the parts within rounding, unless the
    tariff's ``min_price``/``max_price`` moved it (the parts are left as priced).
    ``incl_vat`` is always given: a component without ``vat`` has no VAT, so its
    amount including VAT equals the amount excluding it.
    """

    total_cost: Price
    total_fixed_cost: Price
    total_energy_cost: Price
    total_time_cost: Price
    total_parking_cost: Price
    total_reservation_cost: Price
    total_energy: Decimal
    """kWh charged (sum of the ENERGY dimensions)."""
    total_time: Decimal
    """Hours of the session, charging plus parking (reservation excluded)."""
    total_parking_time: Decimal
    """Hours not charging."""
    has_reservation: bool
    lines: tuple[CostLine, ...]
    unclamped_total: Money
    """Sum of the lines before ``min_price``/``max_price``, full precision."""

    def cdr_fields(self) -> dict[str, Price | Decimal]:
        """The CDR's cost fields, ready to pass to ``CDR(...)`` or ``Session``.

        ``total_reservation_cost`` is included only when the session had
        reservation time.
        """
        fields: dict[str, Price | Decimal] = {
            "total_cost": self.total_cost,
            "total_fixed_cost": self.total_fixed_cost,
            "total_energy": self.total_energy,
            "total_energy_cost": self.total_energy_cost,
            "total_time": self.total_time,
            "total_time_cost": self.total_time_cost,
            "total_parking_time": self.total_parking_time,
            "total_parking_cost": self.total_parking_cost,
        }
        if self.has_reservation:
            fields["total_reservation_cost"] = self.total_reservation_cost
        return fields
