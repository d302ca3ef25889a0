"""Small builders for tariffs and sessions in tests (wall-clock driven)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from edge.ocpi import ChargingPeriod, Tariff

Json = dict[str, Any]


def pc(kind: str, price: float | str, vat: float | None = None, step: int = 1) -> Json:
    """A PriceComponent as JSON."""
    out: Json = {"type": kind, "price": float(price), "step_size": step}
    if vat is not None:
        out["vat"] = vat
    return out


def el(*components: Json, **restrictions: Any) -> Json:
    """A TariffElement as JSON; keyword arguments become restrictions."""
    out: Json = {"price_components": list(components)}
    if restrictions:
        out["restrictions"] = restrictions
    return out


def tariff(*elements: Json, **fields: Any) -> Tariff:
    """A Tariff (EUR) from elements."""
    data: Json = {
        "country_code": "DE",
        "party_id": "ALL",
        "id": "T",
        "currency": "EUR",
        "elements": list(elements),
        "last_updated": "2018-12-17T11:16:55Z",
    } | fields
    return Tariff.model_validate(data)


def at(local: str, zone: str = "UTC") -> datetime:
    """A local wall-clock time ``YYYY-MM-DD HH:MM[:SS]`` as an aware UTC instant."""
    naive = datetime.fromisoformat(local)
    return naive.replace(tzinfo=ZoneInfo(zone)).astimezone(UTC)


def hours(minutes: float | str) -> Decimal:
    """Minutes as exact-enough decimal hours."""
    return Decimal(str(minutes)) / Decimal(60)


def _minutes(minutes: float | str) -> timedelta:
    return timedelta(microseconds=int(Decimal(str(minutes)) * 60_000_000))


@dataclass
class Session:
    """Builds consecutive charging periods from a start instant."""

    start: datetime
    periods: list[ChargingPeriod] = field(default_factory=list)
    end: datetime | None = None

    def add(self, length: timedelta, dims: dict[str, Decimal | float]) -> Session:
        """Append a period of wall-clock *length* with the given dimensions."""
        begin = self.end or self.start
        self.periods.append(
            ChargingPeriod.model_validate(
                {
                    "start_date_time": begin,
                    "dimensions": [
                        {"type": k, "volume": Decimal(str(v))} for k, v in dims.items()
                    ],
                }
            )
        )
        self.end = begin + length
        return self

    def charge(
        self, minutes: float | str, kwh: float | str = 0, **extra: float
    ) -> Session:
        """Charge for *minutes* (TIME), delivering *kwh*; extra dimensions by name."""
        dims: dict[str, Decimal | float] = {"ENERGY": Decimal(str(kwh))}
        dims["TIME"] = hours(minutes)
        dims.update({k.upper(): v for k, v in extra.items()})
        return self.add(_minutes(minutes), dims)

    def park(self, minutes: float | str) -> Session:
        """Stay connected without charging for *minutes* (PARKING_TIME)."""
        return self.add(_minutes(minutes), {"PARKING_TIME": hours(minutes)})

    def reserve(self, minutes: float | str) -> Session:
        """Reservation time of *minutes* (RESERVATION_TIME)."""
        return self.add(_minutes(minutes), {"RESERVATION_TIME": hours(minutes)})

    @property
    def stop(self) -> datetime:
        """Session end (end of the last period)."""
        assert self.end is not None
        return self.end
