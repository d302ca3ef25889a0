"""``quote()``: OCPI Tariff + CDR without costs -> the CDR's cost fields as JSON."""

from __future__ import annotations

import json
from typing import Any

import pytest

from edge.tariff import TariffQuoteError, quote
from tests.unit.ocpi_models import examples as ex

COST_FIELDS = (
    "total_cost",
    "total_fixed_cost",
    "total_energy",
    "total_energy_cost",
    "total_time",
    "total_time_cost",
    "total_parking_time",
    "total_parking_cost",
    "total_reservation_cost",
)


def _cdr_without_costs(**location: Any) -> dict[str, Any]:
    cdr = ex.load(ex.CDR)
    for name in COST_FIELDS:
        cdr.pop(name, None)
    cdr["cdr_location"] |= location
    return cdr


def _tariff_c() -> str:
    return json.dumps(ex.load(ex.CDR)["tariffs"][0])


def test_spec_cdr_example_is_quoted_as_printed() -> None:
    out = quote(
        _tariff_c(), json.dumps(_cdr_without_costs(time_zone="Europe/Brussels"))
    )
    assert out == {
        "total_cost": {"excl_vat": 4, "incl_vat": 4.4},
        "total_fixed_cost": {"excl_vat": 0, "incl_vat": 0},
        "total_energy": 0,
        "total_energy_cost": {"excl_vat": 0, "incl_vat": 0},
        "total_time": 1.973,
        "total_time_cost": {"excl_vat": 4, "incl_vat": 4.4},
        "total_parking_time": 0,
        "total_parking_cost": {"excl_vat": 0, "incl_vat": 0},
    }
    assert json.loads(json.dumps(out)) == out


def test_cost_fields_present_in_the_cdr_are_recomputed_not_trusted() -> None:
    cdr = ex.load(ex.CDR) | {"total_cost": {"excl_vat": 99}, "total_time": 9}
    out = quote(_tariff_c().encode(), json.dumps(cdr).encode())
    assert out["total_cost"] == {"excl_vat": 4, "incl_vat": 4.4}
    assert out["total_time"] == 1.973


def test_time_zone_is_optional_without_local_time_restrictions() -> None:
    out = quote(_tariff_c(), json.dumps(_cdr_without_costs()))
    assert out["total_cost"] == {"excl_vat": 4, "incl_vat": 4.4}


def _t4_with_cdr(**location: Any) -> tuple[str, dict[str, Any]]:
    tariff = ex.load(ex.TARIFF) | {"id": "12"}
    cdr = _cdr_without_costs(**location) | {
        "start_date_time": "2024-01-15T08:30:00Z",
        "end_date_time": "2024-01-15T11:57:00Z",
        "charging_periods": [
            {
                "start_date_time": "2024-01-15T08:30:00Z",
                "dimensions": [
                    {"type": "ENERGY", "volume": 20},
                    {"type": "TIME", "volume": 2.75},
                    {"type": "MAX_CURRENT", "volume": 16},
                ],
                "tariff_id": "12",
            },
            {
                "start_date_time": "2024-01-15T11:15:00Z",
                "dimensions": [{"type": "PARKING_TIME", "volume": 0.7}],
            },
        ],
    }
    return json.dumps(tariff), cdr


def test_quote_prices_in_the_location_time_zone() -> None:
    # Spec example 13: Monday 09:30 local (08:30 UTC) in Germany.
    tariff, cdr = _t4_with_cdr(time_zone="Europe/Berlin")
    out = quote(tariff, json.dumps(cdr))
    assert out["total_cost"] == {"excl_vat": 9, "incl_vat": 10.3}
    assert out["total_fixed_cost"] == {"excl_vat": 2.5, "incl_vat": 2.875}
    assert out["total_parking_cost"] == {"excl_vat": 3.75, "incl_vat": 4.125}
    assert (out["total_energy"], out["total_time"], out["total_parking_time"]) == (
        20,
        3.45,
        0.7,
    )


def test_time_zone_required_with_local_time_restrictions() -> None:
    tariff, cdr = _t4_with_cdr()
    with pytest.raises(
        TariffQuoteError, match=r"^cdr\.cdr_location\.time_zone: required"
    ):
        quote(tariff, json.dumps(cdr))


def _error(tariff: str, cdr: dict[str, Any] | str) -> str:
    text = cdr if isinstance(cdr, str) else json.dumps(cdr)
    with pytest.raises(TariffQuoteError) as info:
        quote(tariff, text)
    return str(info.value)


def test_bad_tariff_names_the_file_part_and_field() -> None:
    tariff = ex.load(ex.TARIFF)
    del tariff["elements"]
    assert _error(json.dumps(tariff), _cdr_without_costs()) == (
        "tariff.elements: required field is missing"
    )
    tariff = ex.load(ex.TARIFF)
    tariff["elements"][1]["price_components"][0]["type"] = "KWH"
    message = _error(json.dumps(tariff), _cdr_without_costs())
    assert message.startswith(
        "tariff.elements[1].price_components[0].type: 'KWH' is not one of ENERGY, FLAT"
    )


def test_bad_cdr_names_the_file_part_and_field() -> None:
    cdr = _cdr_without_costs()
    cdr["charging_periods"][0]["dimensions"][0]["type"] = "FOO"
    assert _error(_tariff_c(), cdr).startswith(
        "cdr.charging_periods[0].dimensions[0].type: 'FOO' is not one of CURRENT"
    )
    cdr = _cdr_without_costs()
    del cdr["cdr_token"]
    assert _error(_tariff_c(), cdr) == "cdr.cdr_token: required field is missing"
    cdr = _cdr_without_costs(time_zone="Europe/Gent")
    assert _error(_tariff_c(), cdr).startswith("cdr.cdr_location.time_zone: ")


def test_invalid_json_is_reported_per_file() -> None:
    assert _error("{", _cdr_without_costs()).startswith("tariff: invalid JSON")
    assert _error(_tariff_c(), "[]").startswith("cdr: input should be an object")


def test_period_of_another_tariff_is_refused() -> None:
    cdr = _cdr_without_costs()
    cdr["charging_periods"][0]["tariff_id"] = "99"
    assert _error(_tariff_c(), cdr) == (
        "cdr.charging_periods[0].tariff_id: '99' is not the quoted tariff '12'"
    )


def test_currency_mismatch_is_refused() -> None:
    cdr = _cdr_without_costs() | {"currency": "CHF"}
    assert _error(_tariff_c(), cdr).startswith("cdr.currency: 'CHF'")


def test_periods_out_of_order_name_the_period() -> None:
    cdr = _cdr_without_costs()
    cdr["charging_periods"].append(
        {
            "start_date_time": "2015-06-29T21:00:00Z",
            "dimensions": [{"type": "TIME", "volume": 1}],
        }
    )
    assert _error(_tariff_c(), cdr) == (
        "cdr.charging_periods[0].start_date_time: not before the next period's "
        "start_date_time"
    )


def test_period_before_cdr_start_is_refused() -> None:
    cdr = _cdr_without_costs() | {"start_date_time": "2015-06-29T21:40:00Z"}
    assert "before the CDR's start_date_time" in _error(_tariff_c(), cdr)


def test_tariff_not_valid_at_session_start() -> None:
    tariff = ex.load(ex.CDR)["tariffs"][0] | {"end_date_time": "2015-01-01T00:00:00Z"}
    assert _error(json.dumps(tariff), _cdr_without_costs()).startswith(
        "tariff: tariff 12 is no longer valid"
    )


def test_reservation_cost_is_reported_when_there_was_reservation_time() -> None:
    tariff = {
        "country_code": "DE",
        "party_id": "ALL",
        "id": "12",
        "currency": "EUR",
        "elements": [
            {
                "price_components": [
                    {"type": "TIME", "price": 5, "vat": 20, "step_size": 60}
                ],
                "restrictions": {"reservation": "RESERVATION"},
            },
            {
                "price_components": [
                    {"type": "FLAT", "price": 0.5, "vat": 20, "step_size": 1},
                    {"type": "ENERGY", "price": 0.25, "vat": 10, "step_size": 1},
                ]
            },
        ],
        "last_updated": "2019-02-03T17:00:11Z",
    }
    cdr = _cdr_without_costs() | {
        "charging_periods": [
            {
                "start_date_time": "2015-06-29T21:39:09Z",
                "dimensions": [{"type": "RESERVATION_TIME", "volume": 0.25}],
            },
            {
                "start_date_time": "2015-06-29T21:54:09Z",
                "dimensions": [
                    {"type": "ENERGY", "volume": 20},
                    {"type": "TIME", "volume": 1.7231},
                ],
            },
        ]
    }
    out = quote(json.dumps(tariff), json.dumps(cdr))
    assert out["total_reservation_cost"] == {"excl_vat": 1.25, "incl_vat": 1.5}
    assert out["total_cost"] == {"excl_vat": 6.75, "incl_vat": 7.6}
