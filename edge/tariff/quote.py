"""Quote a CDR under a tariff (``edge tariff quote TARIFF.json CDR.json``).

The CDR is read strictly (every required CDR field, every length and enum) except
for its cost fields, which may be absent (``total_cost``, ``total_energy``,
``total_time`` and the optional ones are ignored if present: they are what we
compute). The location's IANA time zone, which a 2.2.1 ``CdrLocation`` lacks, is
read from the extension field ``cdr_location.time_zone``; it is required when the
tariff has time-of-day, date or weekday restrictions, and UTC is used otherwise.
Every period is priced with the given tariff; a period whose ``tariff_id`` names
another tariff is an error.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import ValidationError

from edge.ocpi import (
    CdrCore,
    CdrLocation,
    Number,
    Price,
    Tariff,
    describe_validation_error,
    number_to_json,
)
from edge.ocpi.common import TimeZoneName
from edge.tariff.engine import compute_cost
from edge.tariff.errors import TariffError


class TariffQuoteError(ValueError):
    """Bad quote input; the message names the file part and the field."""


class CdrLocationInput(CdrLocation):
    """A CdrLocation with the location's time zone as an extension field."""

    time_zone: TimeZoneName | None = None


class CdrInput(CdrCore):
    """A CDR whose cost fields may be absent (they are recomputed)."""

    cdr_location: CdrLocationInput
    total_cost: Price | None = None
    total_energy: Number | None = None
    total_time: Number | None = None


def _parse_tariff(tariff_json: str | bytes) -> Tariff:
    try:
        return Tariff.model_validate_json(tariff_json)
    except ValidationError as exc:
        raise TariffQuoteError(describe_validation_error(exc, root="tariff")) from exc


def _parse_cdr(cdr_json: str | bytes) -> CdrInput:
    try:
        return CdrInput.model_validate_json(cdr_json)
    except ValidationError as exc:
        raise TariffQuoteError(describe_validation_error(exc, root="cdr")) from exc


def _uses_local_time(tariff: Tariff) -> bool:
    return any(
        r.start_time or r.end_time or r.start_date or r.end_date or r.day_of_week
        for r in (e.restrictions for e in tariff.elements)
        if r is not None
    )


def _check_periods(tariff: Tariff, cdr: CdrInput) -> None:
    for index, period in enumerate(cdr.charging_periods):
        if (
            period.tariff_id is not None
            and period.tariff_id.lower() != tariff.id.lower()
        ):
            msg = (
                f"cdr.charging_periods[{index}].tariff_id: {period.tariff_id!r} is "
                f"not the quoted tariff {tariff.id!r}"
            )
            raise TariffQuoteError(msg)
    if cdr.charging_periods[0].start_date_time < cdr.start_date_time:
        msg = (
            "cdr.charging_periods[0].start_date_time: before the CDR's start_date_time"
        )
        raise TariffQuoteError(msg)


def _json(value: Price | Decimal) -> object:
    if isinstance(value, Price):
        return value.model_dump_ocpi()
    return number_to_json(value)


def quote(tariff_json: str | bytes, cdr_json: str | bytes) -> dict[str, object]:
    """Compute a CDR's cost fields under a tariff, as a JSON-ready dict.

    Returns ``total_cost``, ``total_fixed_cost``, ``total_energy_cost``,
    ``total_time_cost``, ``total_parking_cost`` (and ``total_reservation_cost``
    when there was reservation time) as OCPI Prices ``{"excl_vat", "incl_vat"}``,
    plus ``total_energy`` (kWh), ``total_time`` and ``total_parking_time`` (hours),
    all rounded to 4 decimals. Raises :class:`TariffQuoteError` on bad input.
    """
    tariff = _parse_tariff(tariff_json)
    cdr = _parse_cdr(cdr_json)
    if cdr.currency != tariff.currency:
        msg = f"cdr.currency: {cdr.currency!r} is not the tariff's {tariff.currency!r}"
        raise TariffQuoteError(msg)
    zone = cdr.cdr_location.time_zone
    if zone is None and _uses_local_time(tariff):
        msg = (
            "cdr.cdr_location.time_zone: required field is missing (the tariff has "
            "local time restrictions; give the location's IANA zone, e.g. "
            "Europe/Amsterdam)"
        )
        raise TariffQuoteError(msg)
    _check_periods(tariff, cdr)
    try:
        cost = compute_cost(
            tariff,
            cdr.charging_periods,
            end=cdr.end_date_time,
            time_zone=zone or "UTC",
            start=cdr.start_date_time,
        )
    except TariffError as exc:
        where = f"cdr.{exc.field}" if exc.field else "tariff"
        raise TariffQuoteError(f"{where}: {exc.reason}") from exc
    return {name: _json(value) for name, value in cost.cdr_fields().items()}
