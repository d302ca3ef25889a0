"""The aWATTar answer: intervals of any length, per MWh or kWh, errors by entry."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from edge.load.price_plan import Price
from edge.load.prices import PriceError, parse_awattar, parse_document

T0 = datetime(2026, 6, 2, 16, 0, tzinfo=UTC)
MS = int(T0.timestamp() * 1000)
QUARTER = 900_000


def entry(k: int, price: float, unit: str = "Eur/MWh", ms: int = QUARTER) -> dict:
    return {
        "start_timestamp": MS + k * ms,
        "end_timestamp": MS + (k + 1) * ms,
        "marketprice": price,
        "unit": unit,
    }


def test_quarter_hours_per_mwh_are_prices_per_kwh_of_their_length() -> None:
    text = json.dumps({"object": "list", "data": [entry(0, 84.2), entry(1, -5.0)]})
    q = timedelta(minutes=15)
    assert parse_awattar(text, "u") == [
        Price(T0, pytest.approx(0.0842), q),  # type: ignore[arg-type]
        Price(T0 + q, -0.005, q),
    ]
    kwh = json.dumps({"data": [entry(0, 0.21, "EUR/kWh", 3_600_000)]})
    assert parse_document(kwh, "awattar", "u") == [Price(T0, 0.21)]
    csv = "start,price\n2026-06-02T16:00:00Z,0.3\n"
    assert parse_document(csv, "csv", "u") == [Price(T0, 0.3)]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[]", "u: an object with a data list expected"),
        ('{"data": []}', "u: no prices"),
        ('{"data": [1]}', "u data[0]: an object expected"),
        (json.dumps({"data": [{**entry(0, 1.0), "end_timestamp": MS}]}),
         "u data[0]: end_timestamp must be after start_timestamp"),
        (json.dumps({"data": [{**entry(0, 1.0), "start_timestamp": 1.5}]}),
         "u data[0].start_timestamp: milliseconds since 1970"),
        (json.dumps({"data": [{**entry(0, 1.0), "marketprice": "x"}]}),
         "u data[0].marketprice: price 'x' is not a number"),
        (json.dumps({"data": [entry(0, 1.0, "ct/Wh")]}),
         "u data[0].unit: 'ct/Wh' is not per MWh or kWh"),
        (json.dumps({"data": [entry(0, 1.0), entry(0, 2.0)]}),
         "u data[1]: starts before the previous one ends"),
        (json.dumps({"data": [{**entry(0, 1.0), "end_timestamp": MS + 9**9 * 1000}]}),
         "u data[0]: end_timestamp must be after start_timestamp, by at most a day"),
    ],
)  # fmt: skip
def test_a_bad_answer_names_the_entry(body: str, message: str) -> None:
    with pytest.raises(PriceError) as caught:
        parse_awattar(body, "u")
    assert str(caught.value).startswith(message), caught.value
