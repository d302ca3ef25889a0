"""``quote()`` at its edges: the cases mutation testing found untested."""

from __future__ import annotations

import json
from typing import Any

import pytest

from edge.tariff import TariffQuoteError, quote
from tests.unit.ocpi_models import examples as ex
from tests.unit.tariff.test_quote import _cdr_without_costs


def _tariff(**changes: Any) -> dict[str, Any]:
    return ex.load(ex.CDR)["tariffs"][0] | changes


def _error(tariff: dict[str, Any], cdr: dict[str, Any]) -> str:
    with pytest.raises(TariffQuoteError) as info:
        quote(json.dumps(tariff), json.dumps(cdr))
    return str(info.value)


@pytest.mark.parametrize(
    "restriction",
    [
        {"start_time": "08:00"},
        {"end_time": "18:00"},
        {"start_date": "2015-01-01"},
        {"end_date": "2016-01-01"},
        {"day_of_week": ["MONDAY"]},
    ],
)
def test_any_one_local_time_restriction_needs_the_time_zone(restriction) -> None:
    tariff = _tariff()
    tariff["elements"][0]["restrictions"] = restriction
    assert _error(tariff, _cdr_without_costs()) == (
        "cdr.cdr_location.time_zone: required field is missing (the tariff has "
        "local time restrictions; give the location's IANA zone, e.g. "
        "Europe/Amsterdam)"
    )


def test_a_periods_tariff_id_is_compared_without_case() -> None:
    cdr = _cdr_without_costs()
    cdr["charging_periods"][0]["tariff_id"] = "ab-12"
    out = quote(json.dumps(_tariff(id="AB-12")), json.dumps(cdr))
    assert out["total_cost"]
    cdr["charging_periods"][0]["tariff_id"] = "AB-13"
    assert _error(_tariff(id="ab-12"), cdr) == (
        "cdr.charging_periods[0].tariff_id: 'AB-13' is not the quoted tariff 'ab-12'"
    )


def test_a_period_before_the_cdr_start_is_named_exactly() -> None:
    cdr = _cdr_without_costs() | {"start_date_time": "2015-06-29T21:40:00Z"}
    assert _error(_tariff(), cdr) == (
        "cdr.charging_periods[0].start_date_time: before the CDR's start_date_time"
    )


def test_the_tariff_must_be_valid_at_the_sessions_start_not_its_first_period() -> None:
    # the session starts at 21:30, its first period at 21:39:09, the tariff at 21:35
    cdr = _cdr_without_costs() | {"start_date_time": "2015-06-29T21:30:00Z"}
    tariff = _tariff(start_date_time="2015-06-29T21:35:00Z")
    assert _error(tariff, cdr).startswith("tariff: tariff 12 only becomes valid at")
