"""Hourly prices from a file: CSV, JSON or TOML, chosen by the file's suffix.

Each entry is an hour's price from its ``start`` (ISO 8601 with a UTC offset;
any currency per kWh)::

    start,price                                  # prices.csv
    2026-06-02T00:00:00+02:00,0.21

    [{"start": "2026-06-02T00:00:00+02:00", "price": 0.21}]     # prices.json

    [[price]]                                    # prices.toml
    start = 2026-06-02T00:00:00+02:00
    price = 0.21

An HTTP source (edge/load/price_source.py fetches it) answers in one of these
(``format`` in ``[load.prices]``): ``csv`` or ``json`` as above, or ``awattar``,
the aWATTar day-ahead API's shape (``GET https://api.awattar.de/v1/marketdata``;
intervals of any length, the price per MWh or kWh as ``unit`` says; the plan
uses it per kWh)::

    {"object": "list", "data": [{"start_timestamp": 1780351200000,
      "end_timestamp": 1780354800000, "marketprice": 84.2, "unit": "Eur/MWh"}]}

Prices that cannot be read or parsed raise :class:`PriceError` naming the
file or URL and the entry; the load manager then keeps the last good prices
(until they run out) and otherwise plans nothing (every car charges as
``fast``), and logs the reason.
"""

from __future__ import annotations

import csv
import io
import json
import math
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from edge.load.price_plan import Price

MAX_BYTES = 1024 * 1024
MAX_ENTRIES = 24 * 400
MAX_INTERVAL = timedelta(days=1)


class PriceError(Exception):
    """The prices cannot be used (the message names the file and the entry)."""


def read_prices(path: str) -> list[Price]:
    """The prices in the file at ``path`` (blocking: run it in a thread)."""
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        raise PriceError(f"{path}: cannot read: {exc.strerror}") from None
    if len(data) > MAX_BYTES:
        raise PriceError(f"{path}: larger than {MAX_BYTES} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PriceError(f"{path}: not UTF-8 text") from None
    return parse_prices(text, Path(path).suffix.lower(), path)


def parse_prices(text: str, suffix: str, name: str) -> list[Price]:
    """The prices in ``text`` of a ``.csv``, ``.json`` or ``.toml`` file."""
    rows: list[tuple[str, object, object]]
    try:
        if suffix == ".csv":
            reader = csv.DictReader(io.StringIO(text))
            if reader.fieldnames is None or not {"start", "price"} <= set(
                reader.fieldnames
            ):
                raise PriceError(f"{name}: the header must name start and price")
            rows = [
                (f"line {reader.line_num}", r.get("start"), r.get("price"))
                for r in reader
            ]
        elif suffix == ".json":
            items = json.loads(text)
            if not isinstance(items, list):
                raise PriceError(f"{name}: a JSON list of {{start, price}} expected")
            rows = [(f"entry {i}", *_pair(item)) for i, item in enumerate(items)]
        elif suffix == ".toml":
            table = tomllib.loads(text).get("price", [])
            if not isinstance(table, list):
                raise PriceError(f"{name}: [[price]] tables expected")
            rows = [(f"price[{i}]", *_pair(item)) for i, item in enumerate(table)]
        else:
            raise PriceError(f"{name}: a .csv, .json or .toml file expected")
    except (json.JSONDecodeError, tomllib.TOMLDecodeError, csv.Error) as exc:
        raise PriceError(f"{name}: not valid {suffix[1:].upper()}: {exc}") from None
    if not rows:
        raise PriceError(f"{name}: no prices")
    if len(rows) > MAX_ENTRIES:
        raise PriceError(f"{name}: more than {MAX_ENTRIES} prices")
    out: list[Price] = []
    for where, start, price in rows:
        out.append(Price(_start(start, name, where), _price(price, name, where)))
        if len(out) > 1 and out[-1].start < out[-2].end:
            raise PriceError(f"{name} {where}: starts before the previous hour ends")
    return out


def parse_document(text: str, fmt: str, name: str) -> list[Price]:
    """The prices in an HTTP source's answer of format ``fmt`` (see above)."""
    if fmt == "awattar":
        return parse_awattar(text, name)
    return parse_prices(text, f".{fmt}", name)


def parse_awattar(text: str, name: str) -> list[Price]:
    """The prices in an aWATTar ``/v1/marketdata`` answer, per kWh."""
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PriceError(f"{name}: not valid JSON: {exc}") from None
    items = body.get("data") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise PriceError(f"{name}: an object with a data list expected (aWATTar)")
    if not items:
        raise PriceError(f"{name}: no prices")
    if len(items) > MAX_ENTRIES:
        raise PriceError(f"{name}: more than {MAX_ENTRIES} prices")
    out: list[Price] = []
    for i, item in enumerate(items):
        where = f"data[{i}]"
        if not isinstance(item, dict):
            raise PriceError(f"{name} {where}: an object expected")
        start = _epoch_ms(item.get("start_timestamp"), name, f"{where}.start_timestamp")
        end = _epoch_ms(item.get("end_timestamp"), name, f"{where}.end_timestamp")
        if not timedelta(0) < end - start <= MAX_INTERVAL:
            raise PriceError(
                f"{name} {where}: end_timestamp must be after start_timestamp, "
                "by at most a day"
            )
        price = _price(item.get("marketprice"), name, f"{where}.marketprice")
        out.append(
            Price(start, price / _per_kwh(item.get("unit"), name, where), end - start)
        )
        if len(out) > 1 and out[-1].start < out[-2].end:
            raise PriceError(f"{name} {where}: starts before the previous one ends")
    return out


def _epoch_ms(value: object, name: str, where: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PriceError(
            f"{name} {where}: milliseconds since 1970 (an integer) expected"
        )
    try:
        return datetime.fromtimestamp(value / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        raise PriceError(f"{name} {where}: {value} is not a time") from None


def _per_kwh(unit: object, name: str, where: str) -> float:
    """What ``unit``'s prices are divided by to be per kWh."""
    if isinstance(unit, str):
        per = unit.rpartition("/")[2].strip().lower()
        if per == "mwh":
            return 1000.0
        if per == "kwh":
            return 1.0
    raise PriceError(f"{name} {where}.unit: {unit!r} is not per MWh or kWh")


def _pair(item: object) -> tuple[object, object]:
    if isinstance(item, dict):
        return item.get("start"), item.get("price")
    return None, None


def _start(value: object, name: str, where: str) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise PriceError(
                f"{name} {where}: start {value!r} is not ISO 8601"
            ) from None
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise PriceError(f"{name} {where}: start must be a time with a UTC offset")
    return value


def _price(value: object, name: str, where: str) -> float:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise PriceError(
                f"{name} {where}: price {value!r} is not a number"
            ) from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PriceError(f"{name} {where}: price must be a number")
    if not math.isfinite(value):
        raise PriceError(f"{name} {where}: price must be finite")
    return float(value)
