"""Every spec example parses and is written back exactly as given."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

import edge.ocpi as m
from tests.unit.ocpi_models import examples as ex

CASES = [
    (m.Location, ex.LOCATION),
    (m.Location, ex.LOCATION_LIMITED_VISIBILITY),
    (m.Location, ex.LOCATION_OPENING_HOURS),
    (m.Session, ex.SESSION),
    (m.Session, ex.SESSION_START),
    (m.CDR, ex.CDR),
    (m.Token, ex.TOKEN_RFID),
    (m.Token, ex.TOKEN_APP_USER),
    (m.AuthorizationInfo, ex.AUTHORIZATION_INFO),
    (m.Tariff, ex.TARIFF),
    (m.Tariff, ex.TARIFF_ALT_TEXT),
    (m.Tariff, ex.TARIFF_MAX_PRICE),
    (m.StartSession, ex.START_SESSION),
    (m.ReserveNow, ex.RESERVE_NOW),
    (m.StopSession, ex.STOP_SESSION),
    (m.UnlockConnector, ex.UNLOCK_CONNECTOR),
    (m.CancelReservation, ex.CANCEL_RESERVATION),
    (m.CommandResponse, ex.COMMAND_RESPONSE),
    (m.CommandResult, ex.COMMAND_RESULT),
    (m.VersionDetails, ex.VERSION_DETAILS),
    (m.Version, ex.VERSION),
    (m.Credentials, ex.CREDENTIALS),
    (m.OcpiResponse[object], ex.ENVELOPE_ERROR),
]


@pytest.mark.parametrize(("model", "text"), CASES)
def test_example_round_trips(model: type[m.OcpiModel], text: str) -> None:
    parsed = model.model_validate_json(text)
    assert parsed.model_dump_ocpi() == ex.load(text)
    assert model.model_validate(parsed.model_dump_ocpi()) == parsed


def test_cdr_example_values_are_typed() -> None:
    cdr = m.CDR.model_validate_json(ex.CDR)
    assert cdr.start_date_time == datetime(2015, 6, 29, 21, 39, 9, tzinfo=UTC)
    assert cdr.total_cost.incl_vat == Decimal("4.4")
    assert cdr.charging_periods[0].dimensions[0].type is m.CdrDimensionType.TIME
    assert cdr.cdr_location.connector_standard is m.ConnectorType.IEC_62196_T2


def test_dump_is_json_serialisable_and_drops_absent_fields() -> None:
    session = m.Session.model_validate_json(ex.SESSION_START)
    wire = session.model_dump_ocpi()
    assert "end_date_time" not in wire
    assert "charging_periods" not in wire
    assert wire["total_cost"] == {"excl_vat": 2.5}
    assert json.loads(json.dumps(wire)) == wire


def test_unknown_fields_are_ignored_and_never_emitted() -> None:
    data = ex.load(ex.TOKEN_APP_USER) | {"x_vendor_flag": True}
    data["energy_contract"] = {"supplier_name": "Eneco", "x_note": "extension"}
    token = m.Token.model_validate(data)
    wire = token.model_dump_ocpi()
    assert "x_vendor_flag" not in wire
    assert wire["energy_contract"] == {"supplier_name": "Eneco"}


def test_envelope_with_typed_data() -> None:
    body = {
        "data": [ex.load(ex.VERSION)],
        "status_code": 1000,
        "timestamp": "2015-06-30T21:59:59Z",
    }
    response = m.OcpiResponse[list[m.Version]].model_validate(body)
    assert response.is_success
    assert response.data is not None
    assert response.data[0].version is m.VersionNumber.V2_2_1
    assert response.model_dump_ocpi() == body


def test_envelope_error_is_not_success() -> None:
    response = m.OcpiResponse[object].model_validate_json(ex.ENVELOPE_ERROR)
    assert not response.is_success
    assert response.data is None
