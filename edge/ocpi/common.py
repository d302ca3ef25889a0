"""OCPI 2.2.1 basic types (spec chapter *Types*) and the shared model base.

Wire rules carried here, once, for every object:

* ``DateTime``: input is one of the six forms the spec lists (``Z`` optional, meaning
  UTC; fractional seconds optional); offsets such as ``+00:00`` are refused, as the
  spec says they are not UTC. In Python a *naive* ``datetime`` is refused (we do not
  guess its zone); an aware one is converted to UTC. Output is always
  ``YYYY-MM-DDTHH:MM:SSZ``: fractional seconds are truncated.
* ``number``: a JSON number (never a string or a boolean), held as ``Decimal``,
  written as a JSON number rounded half-up to the spec's 4 decimals.
* ``CiString(n)``: printable ASCII, at most *n* characters; ``string(n)``: printable
  UTF-8 (no control characters, no line breaks), at most *n* characters.
* Unknown fields are ignored on input (the spec allows extensions) and, as they are
  not kept, never written.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    Strict,
    StringConstraints,
)

JsonObject = dict[str, Any]
"""A JSON object as ``json.loads`` returns it (the wire boundary only)."""

_DATETIME_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z?)",
)
_DATETIME_EXAMPLE = "2015-06-29T20:39:09Z"
FOUR_PLACES = Decimal("0.0001")


def parse_ocpi_datetime(text: str) -> datetime:
    """Parse an OCPI ``DateTime`` string into an aware UTC ``datetime``."""
    match = _DATETIME_RE.fullmatch(text)
    if match is None:
        msg = f"{text!r} is not an OCPI DateTime (UTC, e.g. {_DATETIME_EXAMPLE})"
        raise ValueError(msg)
    year, month, day, hour, minute, second, fraction, _ = match.groups()
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second),
            micro,
            tzinfo=UTC,
        )
    except ValueError as exc:
        msg = f"{text!r} is not a valid date and time: {exc}"
        raise ValueError(msg) from exc


def format_ocpi_datetime(value: datetime) -> str:
    """Format an aware ``datetime`` as OCPI wants it: UTC, seconds, ``Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _to_utc(value: object) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            msg = "naive datetime: give a timezone-aware datetime (OCPI is UTC)"
            raise ValueError(msg)
        return value.astimezone(UTC)
    if isinstance(value, str):
        return parse_ocpi_datetime(value)
    msg = f"must be an OCPI DateTime string such as {_DATETIME_EXAMPLE}"
    raise ValueError(msg)


DateTime = Annotated[
    datetime,
    PlainValidator(_to_utc, json_schema_input_type=str),
    PlainSerializer(format_ocpi_datetime, return_type=str, when_used="json"),
]
"""OCPI DateTime: an aware UTC ``datetime``; ``...Z`` on the wire."""


def _json_number_only(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        msg = "must be a JSON number"
        raise ValueError(msg)
    return value


def number_to_json(value: Decimal) -> float | int:
    """Write an OCPI number: a JSON number rounded half-up to 4 decimals."""
    rounded = value.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)
    if rounded == rounded.to_integral_value():
        return int(rounded)
    return float(rounded)


Number = Annotated[
    Decimal,
    BeforeValidator(_json_number_only),
    Field(allow_inf_nan=False),
    PlainSerializer(number_to_json, return_type=float, when_used="json"),
]
"""OCPI number: exact ``Decimal``; a JSON number with at most 4 decimals out."""

NonNegativeNumber = Annotated[Number, Field(ge=0)]
"""An OCPI number that cannot be negative (prices, VAT, percentages)."""

Int = Annotated[int, Strict()]
"""OCPI int: a JSON integer (``1.0`` and ``true`` are refused)."""

NonNegativeInt = Annotated[int, Strict(), Field(ge=0)]
"""OCPI int that cannot be negative (seconds, step sizes)."""

Bool = Annotated[bool, Strict()]
"""OCPI boolean: ``true``/``false`` only."""

_NOT_PRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _printable_ascii(value: str) -> str:
    if not value.isascii() or _NOT_PRINTABLE.search(value):
        msg = "must be printable ASCII (CiString)"
        raise ValueError(msg)
    return value


def _printable_utf8(value: str) -> str:
    if _NOT_PRINTABLE.search(value):
        msg = "must be printable text (no control characters or line breaks)"
        raise ValueError(msg)
    return value


def _token_chars(value: str) -> str:
    if not re.fullmatch(r"[\x21-\x7e]*", value):
        msg = "must be printable ASCII without whitespace"
        raise ValueError(msg)
    return value


_Ci = AfterValidator(_printable_ascii)
_Utf8 = AfterValidator(_printable_utf8)

CiString2 = Annotated[str, Strict(), StringConstraints(max_length=2), _Ci]
CiString3 = Annotated[str, Strict(), StringConstraints(max_length=3), _Ci]
CiString4 = Annotated[str, Strict(), StringConstraints(max_length=4), _Ci]
CiString32 = Annotated[str, Strict(), StringConstraints(max_length=32), _Ci]
CiString36 = Annotated[str, Strict(), StringConstraints(max_length=36), _Ci]
CiString39 = Annotated[str, Strict(), StringConstraints(max_length=39), _Ci]
CiString48 = Annotated[str, Strict(), StringConstraints(max_length=48), _Ci]
String2 = Annotated[str, Strict(), StringConstraints(max_length=2), _Utf8]
String3 = Annotated[str, Strict(), StringConstraints(max_length=3), _Utf8]
String4 = Annotated[str, Strict(), StringConstraints(max_length=4), _Utf8]
String5 = Annotated[str, Strict(), StringConstraints(max_length=5), _Utf8]
String10 = Annotated[str, Strict(), StringConstraints(max_length=10), _Utf8]
String16 = Annotated[str, Strict(), StringConstraints(max_length=16), _Utf8]
String20 = Annotated[str, Strict(), StringConstraints(max_length=20), _Utf8]
String45 = Annotated[str, Strict(), StringConstraints(max_length=45), _Utf8]
String64 = Annotated[str, Strict(), StringConstraints(max_length=64), _Utf8]
String100 = Annotated[str, Strict(), StringConstraints(max_length=100), _Utf8]
String255 = Annotated[str, Strict(), StringConstraints(max_length=255), _Utf8]
String512 = Annotated[str, Strict(), StringConstraints(max_length=512), _Utf8]
String5000 = Annotated[str, Strict(), StringConstraints(max_length=5000), _Utf8]
Url = Annotated[
    str, Strict(), StringConstraints(max_length=255), AfterValidator(_token_chars)
]
"""OCPI URL: string(255); a URI has no whitespace."""
Currency = Annotated[str, Strict(), StringConstraints(pattern=r"^[A-Z]{3}$")]
"""ISO 4217 currency code, string(3), e.g. ``EUR``."""
CredentialsToken = Annotated[
    str, Strict(), StringConstraints(max_length=64), AfterValidator(_token_chars)
]
"""Credentials token: string(64) of printable, non-whitespace ASCII."""


def _iana_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ValueError, ZoneInfoNotFoundError) as exc:
        msg = f"{value!r} is not an IANA time zone (e.g. Europe/Berlin)"
        raise ValueError(msg) from exc
    return value


TimeZoneName = Annotated[
    str, Strict(), StringConstraints(max_length=255), AfterValidator(_iana_zone)
]
"""IANA time zone name, string(255), e.g. ``Europe/Berlin``."""

_HHMM = r"([0-1][0-9]|2[0-3]):[0-5][0-9]"
TimeOfDay = Annotated[str, Strict(), StringConstraints(pattern=f"^{_HHMM}$")]
"""Local time of day ``HH:MM`` (24 h, leading zeros)."""
LocalDate = Annotated[
    str,
    Strict(),
    StringConstraints(
        pattern=r"^([12][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
    ),
]
"""Local date ``YYYY-MM-DD``."""
_LATITUDE = r"^-?[0-9]{1,2}\.[0-9]{5,7}$"
_LONGITUDE = r"^-?[0-9]{1,3}\.[0-9]{5,7}$"
Latitude = Annotated[str, Strict(), StringConstraints(max_length=10, pattern=_LATITUDE)]
"""WGS 84 latitude as a string(10), at least 5 decimals."""
Longitude = Annotated[
    str, Strict(), StringConstraints(max_length=11, pattern=_LONGITUDE)
]
"""WGS 84 longitude as a string(11), at least 5 decimals."""


class OcpiModel(BaseModel):
    """Base of every OCPI object: immutable, extension fields ignored."""

    model_config = ConfigDict(
        extra="ignore",
        frozen=True,
        allow_inf_nan=False,
        validate_default=False,
    )

    def model_dump_ocpi(self) -> JsonObject:
        """Return the JSON-ready wire form (see :func:`model_dump_ocpi`)."""
        return model_dump_ocpi(self)


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _prune(v) for k, v in value.items() if v is not None and v != []}
    if isinstance(value, list):
        return [_prune(v) for v in value]
    return value


def model_dump_ocpi(model: BaseModel) -> JsonObject:
    """Serialise *model* as OCPI JSON: ready for ``json.dumps``.

    Absent optional fields (``None``) and empty ``*`` lists are left out, enums are
    written as their values, DateTimes as ``...Z`` and numbers as JSON numbers.
    """
    dumped = model.model_dump(mode="json", exclude_none=True)
    pruned: JsonObject = _prune(dumped)
    return pruned


class DisplayText(OcpiModel):
    """Text in one language (plain text, no markup)."""

    language: String2
    text: String512


class Price(OcpiModel):
    """An amount of money; ``incl_vat`` absent means not given (absent is not free)."""

    excl_vat: Number
    incl_vat: Number | None = None


class GeoLocation(OcpiModel):
    """WGS 84 position; latitude and longitude are *strings* in OCPI."""

    latitude: Latitude
    longitude: Longitude
