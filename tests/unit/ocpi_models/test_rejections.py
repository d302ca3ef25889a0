"""Each main object refuses a missing field, a long string, a bad enum, a naive time."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from pydantic import ValidationError

import edge.ocpi as m
from tests.unit.ocpi_models import examples as ex

# (model, example, required field, (string field, max length), (enum field path))
MAIN = [
    (m.Location, ex.LOCATION, ("time_zone",), (("city",), 45), ("parking_type",)),
    (
        m.Location,
        ex.LOCATION,
        ("evses", 0, "status"),
        (("evses", 0, "uid"), 36),
        ("evses", 0, "connectors", 1, "standard"),
    ),
    (m.Session, ex.SESSION, ("kwh",), (("id",), 36), ("status",)),
    (
        m.CDR,
        ex.CDR,
        ("cdr_location", "evse_id"),
        (("cdr_location", "city"), 45),
        ("charging_periods", 0, "dimensions", 0, "type"),
    ),
    (m.Token, ex.TOKEN_RFID, ("issuer",), (("visual_number",), 64), ("whitelist",)),
    (
        m.Tariff,
        ex.TARIFF,
        ("elements", 1, "price_components", 0, "step_size"),
        (("id",), 36),
        ("elements", 2, "restrictions", "day_of_week", 0),
    ),
    (
        m.StartSession,
        ex.START_SESSION,
        ("location_id",),
        (("location_id",), 36),
        ("token", "type"),
    ),
    (
        m.ReserveNow,
        ex.RESERVE_NOW,
        ("reservation_id",),
        (("reservation_id",), 36),
        ("token", "whitelist"),
    ),
    (
        m.CommandResponse,
        ex.COMMAND_RESPONSE,
        ("timeout",),
        (("message", 0, "text"), 512),
        ("result",),
    ),
    (
        m.VersionDetails,
        ex.VERSION_DETAILS,
        ("version",),
        (("endpoints", 0, "url"), 255),
        ("endpoints", 0, "role"),
    ),
    (m.Credentials, ex.CREDENTIALS, ("url",), (("token",), 64), ("roles", 0, "role")),
]

# (model, example, path of a DateTime field)
TIMED = [
    (m.Location, ex.LOCATION, ("last_updated",)),
    (m.Location, ex.LOCATION, ("evses", 0, "connectors", 0, "last_updated")),
    (m.Session, ex.SESSION, ("start_date_time",)),
    (m.CDR, ex.CDR, ("charging_periods", 0, "start_date_time")),
    (m.Token, ex.TOKEN_RFID, ("last_updated",)),
    (m.Tariff, ex.TARIFF, ("last_updated",)),
    (m.ReserveNow, ex.RESERVE_NOW, ("expiry_date",)),
    (m.OcpiResponse[object], ex.ENVELOPE_ERROR, ("timestamp",)),
]


def _parent(data: dict[str, Any], path: tuple[Any, ...]) -> Any:
    node: Any = data
    for key in path[:-1]:
        node = node[key]
    return node


def _errors(model: type[m.OcpiModel], data: dict[str, Any]) -> list[Any]:
    with pytest.raises(ValidationError) as info:
        model.model_validate(data)
    return info.value.errors()


def _ids(case: tuple[Any, ...]) -> str:
    name: str = case[0].__name__
    return name


@pytest.mark.parametrize("case", MAIN, ids=_ids)
def test_missing_required_field_is_refused(case: tuple[Any, ...]) -> None:
    model, text, path, _, _ = case
    data = ex.load(text)
    del _parent(data, path)[path[-1]]
    errors = _errors(model, data)
    assert [(e["type"], e["loc"]) for e in errors] == [("missing", path)]


@pytest.mark.parametrize("case", MAIN, ids=_ids)
def test_too_long_string_is_refused(case: tuple[Any, ...]) -> None:
    model, text, _, (path, limit), _ = case
    data = ex.load(text)
    _parent(data, path)[path[-1]] = "x" * limit
    model.model_validate(data)  # exactly the limit is fine
    _parent(data, path)[path[-1]] = "x" * (limit + 1)
    errors = _errors(model, data)
    assert [(e["type"], e["loc"]) for e in errors] == [("string_too_long", path)]


@pytest.mark.parametrize("case", MAIN, ids=_ids)
def test_bad_enum_value_is_refused(case: tuple[Any, ...]) -> None:
    model, text, _, _, path = case
    data = ex.load(text)
    _parent(data, path)[path[-1]] = "NOT_A_VALUE"
    errors = _errors(model, data)
    assert [(e["type"], e["loc"]) for e in errors] == [("enum", path)]


@pytest.mark.parametrize("case", TIMED, ids=_ids)
def test_naive_datetime_is_refused(case: tuple[Any, ...]) -> None:
    model, text, path = case
    data = ex.load(text)
    _parent(data, path)[path[-1]] = datetime(2019, 1, 1, 12, 0)  # noqa: DTZ001
    errors = _errors(model, data)
    assert [e["loc"] for e in errors] == [path]
    assert "naive" in errors[0]["msg"]


@pytest.mark.parametrize("case", TIMED, ids=_ids)
def test_datetime_with_offset_is_refused(case: tuple[Any, ...]) -> None:
    model, text, path = case
    data = ex.load(text)
    _parent(data, path)[path[-1]] = "2019-01-01T12:00:00+00:00"
    errors = _errors(model, data)
    assert [e["loc"] for e in errors] == [path]


def test_cdr_refuses_session_only_dimension() -> None:
    data = ex.load(ex.CDR)
    data["charging_periods"][0]["dimensions"].append({"type": "POWER", "volume": 7})
    errors = _errors(m.CDR, data)
    assert "Sessions only" in errors[0]["msg"]
    session = ex.load(ex.SESSION)
    session["charging_periods"][0]["dimensions"].append({"type": "POWER", "volume": 7})
    assert m.Session.model_validate(session).charging_periods[0].dimensions[-1].volume


def test_cdr_charging_periods_need_at_least_one() -> None:
    data = ex.load(ex.CDR)
    data["charging_periods"] = []
    errors = _errors(m.CDR, data)
    assert errors[0]["type"] == "too_short"


def test_credit_cdr_rules() -> None:
    data = ex.load(ex.CDR) | {"id": "x" * 37}
    assert "36" in _errors(m.CDR, data)[0]["msg"]
    data |= {"credit": True}
    assert "credit_reference_id" in _errors(m.CDR, data)[0]["msg"]
    data |= {"credit_reference_id": "x" * 36}
    assert m.CDR.model_validate(data).credit


def test_start_session_connector_requires_evse() -> None:
    data = ex.load(ex.START_SESSION)
    del data["evse_uid"]
    assert "evse_uid" in _errors(m.StartSession, data)[0]["msg"]


def test_publish_allowed_to_rules() -> None:
    data = ex.load(ex.LOCATION_LIMITED_VISIBILITY)
    data["publish"] = True
    assert "publish_allowed_to" in _errors(m.Location, data)[0]["msg"]
    data = ex.load(ex.LOCATION_LIMITED_VISIBILITY)
    data["publish_allowed_to"][2] = {"uid": "12345678905880"}
    assert "type is required" in _errors(m.Location, data)[0]["msg"]
    data["publish_allowed_to"][2] = {"visual_number": "1"}
    assert "issuer is required" in _errors(m.Location, data)[0]["msg"]
    data["publish_allowed_to"][2] = {"issuer": "ANWB"}
    assert "at least one of" in _errors(m.Location, data)[0]["msg"]


def test_opening_hours_rules() -> None:
    data = ex.load(ex.LOCATION_OPENING_HOURS)
    data["opening_times"]["twentyfourseven"] = True
    assert "empty" in _errors(m.Location, data)[0]["msg"]
    data["opening_times"] = {"twentyfourseven": False}
    assert "at least one" in _errors(m.Location, data)[0]["msg"]
    data["opening_times"] = {
        "twentyfourseven": False,
        "regular_hours": [
            {"weekday": 8, "period_begin": "07:00", "period_end": "18:00"}
        ],
    }
    assert _errors(m.Location, data)[0]["type"] == "less_than_equal"


def test_location_time_zone_must_be_iana() -> None:
    data = ex.load(ex.LOCATION) | {"time_zone": "Europe/Gent"}
    assert "IANA" in _errors(m.Location, data)[0]["msg"]


def test_connector_type_values_are_case_sensitive() -> None:
    data = ex.load(ex.LOCATION)
    data["evses"][0]["connectors"][0]["standard"] = "IEC_60309_2_single_16"
    assert m.Location.model_validate(data)
    data["evses"][0]["connectors"][0]["standard"] = "IEC_60309_2_SINGLE_16"
    assert _errors(m.Location, data)[0]["type"] == "enum"


def test_custom_module_needs_a_prefix() -> None:
    data = ex.load(ex.VERSION_DETAILS)
    data["endpoints"][3]["identifier"] = "rates"
    assert _errors(m.VersionDetails, data)


def test_negative_tariff_price_is_refused() -> None:
    data = ex.load(ex.TARIFF)
    data["elements"][0]["price_components"][0]["price"] = -1
    assert _errors(m.Tariff, data)[0]["type"] == "greater_than_equal"
