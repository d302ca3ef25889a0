"""edge.ocpp.frames: parsing, 1.6 error codes, date-time formats."""

from __future__ import annotations

import pytest

from edge.ocpp import frames
from edge.ocpp.status import ConnectorStatus

STATUS = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}


def test_frames_parse_into_their_kinds():
    assert frames.parse('[2,"a","Heartbeat",{}]') == frames.IncomingCall(
        "a", "Heartbeat", {}
    )
    assert frames.parse('[3,"a",{"x":1}]') == frames.IncomingResult("a", {"x": 1})
    assert frames.parse('[4,"a","NotSupported","no",{}]') == frames.IncomingError(
        "a", "NotSupported", "no"
    )


@pytest.mark.parametrize(
    ("text", "unique_id"),
    [
        ("{nope", None),
        ("{}", None),
        ("[]", None),
        ('[9,"a",{}]', None),
        ('[2,"a","Heartbeat"]', "a"),
        ('[2,"a","Heartbeat",[]]', "a"),
        ('[3,"a",[]]', "a"),
        ('[2,7,"Heartbeat",{}]', None),
        ('[2,"' + "x" * 37 + '","Heartbeat",{}]', None),
        ('[2,"a",5,{}]', "a"),
    ],
)
def test_garbled_frames_keep_their_id_when_they_have_one(text, unique_id):
    frame = frames.parse(text)
    assert isinstance(frame, frames.Garbled)
    assert frame.unique_id == unique_id
    assert frame.code is frames.ErrorCode.FORMATION_VIOLATION


def test_error_codes_are_spelled_as_16_spells_them():
    assert frames.ErrorCode.FORMATION_VIOLATION == "FormationViolation"
    assert (
        frames.ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION
        == "OccurenceConstraintViolation"
    )


@pytest.mark.parametrize(
    "stamp",
    [
        "2026-03-02T06:04:27Z",
        "2026-03-02T06:04:27.123456Z",
        "2026-03-02T07:04:27+01:00",
        "2026-03-02t06:04:27z",
    ],
)
def test_rfc3339_date_times_pass(stamp):
    payload = {**STATUS, "timestamp": stamp}
    assert frames.check("ocpp1.6", "StatusNotification", payload, result=False) is None


@pytest.mark.parametrize(
    "stamp",
    [
        "yesterday",
        "2026-03-02T06:04:27",
        "2026-03-02 06:04:27Z",
        "2026-13-02T06:04:27Z",
        "2026-02-30T06:04:27Z",
        "2026-03-02T25:04:27Z",
        "2026-03-02",
    ],
)
def test_other_date_times_are_property_violations(stamp):
    payload = {**STATUS, "timestamp": stamp}
    v = frames.check("ocpp1.6", "StatusNotification", payload, result=False)
    assert v == frames.Violation(
        frames.ErrorCode.PROPERTY_CONSTRAINT_VIOLATION,
        "timestamp: not a date-time (RFC 3339, with an offset or Z)",
    )


@pytest.mark.parametrize(
    ("payload", "code", "reason"),
    [
        ({**STATUS, "connectorId": "1"}, "TypeConstraintViolation", "connectorId"),
        (
            {**STATUS, "info": "x" * 51},
            "TypeConstraintViolation",
            "info: maxLength is 50",
        ),
        (
            {"connectorId": 1, "status": "Available"},
            "ProtocolError",
            "errorCode missing",
        ),
        ({**STATUS, "extra": 1}, "FormationViolation", "unknown field extra"),
        (
            {**STATUS, "status": "Broken"},
            "PropertyConstraintViolation",
            "status: not one",
        ),
    ],
)
def test_schema_violations_name_the_field_and_the_code(payload, code, reason):
    v = frames.check("ocpp1.6", "StatusNotification", payload, result=False)
    assert v is not None
    assert v.code == code
    assert reason in v.reason


def test_reasons_do_not_carry_the_value():
    v = frames.check(
        "ocpp1.6", "Authorize", {"idTag": "04A1B2C3D4E5F6A7B8C9D0"}, result=False
    )
    assert v is not None
    assert "04A1B2C3" not in v.reason


def test_unknown_actions_are_not_implemented():
    for action in ("Teleport", "../../etc/passwd", ""):
        v = frames.check("ocpp1.6", action, {}, result=False)
        assert v is not None
        assert v.code is frames.ErrorCode.NOT_IMPLEMENTED


def test_results_are_checked_against_their_own_schema():
    good = {"status": "Accepted", "currentTime": "2026-03-02T06:04:27Z", "interval": 60}
    assert frames.check("ocpp1.6", "BootNotification", good, result=True) is None
    bad = {**good, "currentTime": "now"}
    assert frames.check("ocpp1.6", "BootNotification", bad, result=True) is not None


def test_our_status_enum_is_the_packages():
    assert {s.value for s in ConnectorStatus} == frames.V16_CHARGE_POINT_STATUSES


def test_frames_we_write():
    assert frames.call_frame("a", "Heartbeat", {}) == '[2,"a","Heartbeat",{}]'
    assert frames.result_frame("a", {}) == '[3,"a",{}]'
    assert (
        frames.error_frame("a", frames.ErrorCode.NOT_SUPPORTED, "no")
        == '[4,"a","NotSupported","no",{}]'
    )


def test_shown_keeps_plain_names_and_quotes_the_rest():
    assert frames.shown("CP001") == "CP001"
    assert frames.shown("a\nb") == "'a\\nb'"
    assert frames.shown("x" * 100) == repr("x" * 64)
    v = frames.check("ocpp1.6", "Heartbeat", {"a\nb": 1}, result=False)
    assert v is not None
    assert "\n" not in v.reason
