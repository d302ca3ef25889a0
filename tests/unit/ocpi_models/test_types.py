"""Basic OCPI types: DateTime, number, strings, and the error description."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pydantic import ValidationError

import edge.ocpi as m
from tests.unit.ocpi_models import examples as ex


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2015-06-29T20:39:09Z", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
        ("2015-06-29T20:39:09", datetime(2015, 6, 29, 20, 39, 9, tzinfo=UTC)),
        ("2016-12-29T17:45:09.2Z", datetime(2016, 12, 29, 17, 45, 9, 200000, UTC)),
        ("2016-12-29T17:45:09.2", datetime(2016, 12, 29, 17, 45, 9, 200000, UTC)),
        ("2018-01-01T01:08:01.123Z", datetime(2018, 1, 1, 1, 8, 1, 123000, UTC)),
        ("2018-01-01T01:08:01.123", datetime(2018, 1, 1, 1, 8, 1, 123000, UTC)),
    ],
)
def test_the_six_spec_forms_parse_as_utc(text: str, expected: datetime) -> None:
    assert m.parse_ocpi_datetime(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "2015-06-29T20:39:09+00:00",
        "2015-06-29T20:39:09+02:00",
        "2015-06-29 20:39:09Z",
        "2015-06-29T20:39Z",
        "2015-06-29t20:39:09z",
        "2015-02-30T20:39:09Z",
        "2015-06-29",
    ],
)
def test_other_datetime_forms_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"DateTime|valid date"):
        m.parse_ocpi_datetime(text)


def test_datetime_is_written_with_seconds_and_z() -> None:
    tz = timezone(timedelta(hours=2))
    value = datetime(2016, 12, 29, 19, 45, 9, 987654, tzinfo=tz)
    assert m.format_ocpi_datetime(value) == "2016-12-29T17:45:09Z"


def test_aware_non_utc_datetime_is_converted_to_utc() -> None:
    amsterdam_summer = timezone(timedelta(hours=2))
    data = ex.load(ex.TOKEN_APP_USER)
    data["last_updated"] = datetime(2018, 12, 10, 19, 16, 15, tzinfo=amsterdam_summer)
    token = m.Token.model_validate(data)
    assert token.last_updated.tzinfo is UTC
    assert token.model_dump_ocpi()["last_updated"] == "2018-12-10T17:16:15Z"


def test_fractional_seconds_in_are_truncated_out() -> None:
    data = ex.load(ex.TOKEN_APP_USER) | {"last_updated": "2018-12-10T17:16:15.999Z"}
    token = m.Token.model_validate(data)
    assert token.last_updated.microsecond == 999000
    assert token.model_dump_ocpi()["last_updated"] == "2018-12-10T17:16:15Z"


@pytest.mark.parametrize("bad", ["4.0", True, None, "NaN", float("inf")])
def test_number_must_be_a_finite_json_number(bad: object) -> None:
    with pytest.raises(ValidationError):
        m.Price.model_validate({"excl_vat": bad})


def test_number_is_exact_decimal_and_written_with_four_decimals() -> None:
    price = m.Price.model_validate({"excl_vat": 0.1, "incl_vat": Decimal("5.63749")})
    assert price.excl_vat == Decimal("0.1")
    assert price.model_dump_ocpi() == {"excl_vat": 0.1, "incl_vat": 5.6375}
    assert m.Price(excl_vat=Decimal(4)).model_dump_ocpi() == {"excl_vat": 4}


def test_int_refuses_floats_and_booleans() -> None:
    data = ex.load(ex.COMMAND_RESPONSE)
    for bad in (30.0, True, "30"):
        with pytest.raises(ValidationError):
            m.CommandResponse.model_validate(data | {"timeout": bad})


def test_boolean_refuses_strings_and_ints() -> None:
    data = ex.load(ex.TOKEN_APP_USER)
    for bad in ("true", 1):
        with pytest.raises(ValidationError):
            m.Token.model_validate(data | {"valid": bad})


def test_cistring_is_printable_ascii_only() -> None:
    data = ex.load(ex.TOKEN_APP_USER)
    for bad in ("ü123", "a\tb", "line\n"):
        with pytest.raises(ValidationError, match="printable ASCII"):
            m.Token.model_validate(data | {"uid": bad})


def test_string_allows_utf8_but_no_control_characters() -> None:
    data = ex.load(ex.TOKEN_APP_USER)
    assert m.Token.model_validate(data | {"issuer": "Stadtwerke Köln"})
    with pytest.raises(ValidationError, match="printable"):
        m.Token.model_validate(data | {"issuer": "two\nlines"})


def test_string_length_counts_characters_not_bytes() -> None:
    data = ex.load(ex.TOKEN_APP_USER)
    assert m.Token.model_validate(data | {"issuer": "ö" * 64})


def test_credentials_token_has_no_whitespace() -> None:
    data = ex.load(ex.CREDENTIALS) | {"token": "has space"}
    with pytest.raises(ValidationError, match="whitespace"):
        m.Credentials.model_validate(data)


def test_geolocation_patterns() -> None:
    assert m.GeoLocation(latitude="51.047599", longitude="-3.729944")
    for lat, lon in [("51.0475", "3.729944"), ("51,047599", "3.729944")]:
        with pytest.raises(ValidationError):
            m.GeoLocation(latitude=lat, longitude=lon)


def test_describe_validation_error_names_path_and_reason() -> None:
    data = ex.load(ex.CDR)
    data["charging_periods"][0]["dimensions"].append({"type": "FOO", "volume": 1})
    del data["cdr_token"]["uid"]
    data["cdr_location"]["city"] = "x" * 46
    with pytest.raises(ValidationError) as info:
        m.CDR.model_validate(data)
    text = m.describe_validation_error(info.value)
    assert text.splitlines() == [
        "cdr.cdr_token.uid: required field is missing",
        "cdr.cdr_location.city: 46 characters, more than the maximum of 45",
        "cdr.charging_periods[0].dimensions[1].type: 'FOO' is not one of CURRENT, "
        "ENERGY, ENERGY_EXPORT, ENERGY_IMPORT, MAX_CURRENT, MIN_CURRENT, MAX_POWER, "
        "MIN_POWER, PARKING_TIME, POWER, RESERVATION_TIME, STATE_OF_CHARGE, TIME",
    ]


def test_describe_validation_error_root_and_other_kinds() -> None:
    with pytest.raises(ValidationError) as info:
        m.CdrToken.model_validate(
            {"country_code": "NL", "party_id": "TST", "uid": 5, "type": "RFID"}
        )
    text = m.describe_validation_error(info.value)
    assert text.splitlines() == [
        "cdr_token.uid: input should be a valid string (got 5)",
        "cdr_token.contract_id: required field is missing",
    ]
    assert m.describe_validation_error(info.value, root="tariff_file").startswith(
        "tariff_file.uid:"
    )


def test_describe_validation_error_value_errors_read_plainly() -> None:
    with pytest.raises(ValidationError) as info:
        m.Token.model_validate(ex.load(ex.TOKEN_APP_USER) | {"last_updated": "soon"})
    assert m.describe_validation_error(info.value) == (
        "token.last_updated: 'soon' is not an OCPI DateTime (UTC, e.g. "
        "2015-06-29T20:39:09Z)"
    )


def test_describe_validation_error_hides_union_member_tags() -> None:
    endpoint = {"identifier": "rates", "role": "SENDER", "url": "https://x.org/"}
    with pytest.raises(ValidationError) as info:
        m.Endpoint.model_validate(endpoint)
    lines = m.describe_validation_error(info.value).splitlines()
    assert lines[0].startswith("endpoint.identifier: 'rates' is not one of cdrs, ")
    assert lines[1].startswith("endpoint.identifier: string should match pattern")
