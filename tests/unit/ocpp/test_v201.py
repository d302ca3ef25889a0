"""OCPP 2.0.1 pieces without a socket: error codes, EVSE folding, idTokenInfo."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.model.authorization import AuthDecision, Refusal
from edge.model.tokens import TokenType
from edge.ocpp import frames
from edge.ocpp.handlers.v201 import Connector201, fold
from edge.ocpp.id_token import TokenStatus, id_token_info, token_type

C = Connector201

_OK_STATUS = {
    "timestamp": "2026-03-02T06:04:27.5+01:00",
    "connectorStatus": "Occupied",
    "evseId": 1,
    "connectorId": 1,
}


def test_valid_201_status_passes_and_16_one_does_not():
    ok = frames.check("ocpp2.0.1", "StatusNotification", _OK_STATUS, result=False)
    assert ok is None
    v16 = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
    v = frames.check("ocpp2.0.1", "StatusNotification", v16, result=False)
    assert v is not None
    assert v.code in {
        frames.ErrorCode.OCCURRENCE_CONSTRAINT_VIOLATION,
        frames.ErrorCode.PROTOCOL_ERROR,
    }


@pytest.mark.parametrize(
    ("change", "v16_code", "v201_code"),
    [
        ({"extra": 1}, "FormationViolation", "ProtocolError"),
        ({"evseId": None}, "TypeConstraintViolation", "TypeConstraintViolation"),
    ],
)
def test_the_same_fault_is_named_per_version(change, v16_code, v201_code):
    payload = {**_OK_STATUS, **change}
    v = frames.check("ocpp2.0.1", "StatusNotification", payload, result=False)
    assert v is not None
    assert v.code == v201_code
    v16 = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
    v16 |= {"connectorId": None} if "evseId" in change else change
    w = frames.check("ocpp1.6", "StatusNotification", v16, result=False)
    assert w is not None
    assert w.code == v16_code


def test_missing_field_is_an_occurrence_violation_in_201_spelled_right():
    payload = {k: v for k, v in _OK_STATUS.items() if k != "timestamp"}
    v = frames.check("ocpp2.0.1", "StatusNotification", payload, result=False)
    assert v is not None
    assert v.code.value == "OccurrenceConstraintViolation"
    assert "timestamp missing" in v.reason


def test_201_results_have_schemas_too():
    good = {"currentTime": "2026-03-02T06:04:27Z", "interval": 60, "status": "Accepted"}
    assert frames.check("ocpp2.0.1", "BootNotification", good, result=True) is None
    late = {**good, "currentTime": "soon"}
    assert frames.check("ocpp2.0.1", "BootNotification", late, result=True) is not None


def test_parse_names_framing_faults_per_version():
    for text, v16, v201 in [
        ('[2,"a","Heartbeat"]', "FormationViolation", "RpcFrameworkError"),
        ('[2,"a","Heartbeat",[]]', "FormationViolation", "FormatViolation"),
    ]:
        a, b = frames.parse(text, "ocpp1.6"), frames.parse(text, "ocpp2.0.1")
        assert isinstance(a, frames.Garbled)
        assert isinstance(b, frames.Garbled)
        assert (a.code.value, b.code.value) == (v16, v201)
    unknown16 = frames.parse('[9,"x",{}]', "ocpp1.6")
    unknown201 = frames.parse('[9,"x",{}]', "ocpp2.0.1")
    assert isinstance(unknown16, frames.Garbled)
    assert unknown16.unique_id is None  # 1.6: ignored
    assert unknown201 == frames.Garbled(
        "x", frames.ErrorCode.MESSAGE_TYPE_NOT_SUPPORTED, "unknown message type"
    )


@pytest.mark.parametrize(
    ("statuses", "shown"),
    [
        ({}, None),
        ({1: C.AVAILABLE}, C.AVAILABLE),
        ({1: C.AVAILABLE, 2: C.OCCUPIED}, C.OCCUPIED),
        ({1: C.FAULTED, 2: C.AVAILABLE}, C.AVAILABLE),
        ({1: C.FAULTED, 2: C.UNAVAILABLE}, C.UNAVAILABLE),
        ({1: C.RESERVED, 2: C.AVAILABLE}, C.RESERVED),
        ({0: C.FAULTED, 1: C.OCCUPIED}, C.FAULTED),
        ({0: C.AVAILABLE, 1: C.UNAVAILABLE}, C.UNAVAILABLE),
        ({0: C.AVAILABLE}, C.AVAILABLE),
    ],
)
def test_an_evse_shows_its_busiest_usable_connector(statuses, shown):
    assert fold(statuses) is shown


def test_the_201_enums_are_the_package_ones():
    assert {c.value for c in Connector201} == frames.V201_CONNECTOR_STATUSES
    assert {s.value for s in TokenStatus} <= frames.V201_AUTHORIZATION_STATUSES


@pytest.mark.parametrize(
    ("refusal", "status"),
    [
        (Refusal.BLOCKED, TokenStatus.BLOCKED),
        (Refusal.NOT_VALID, TokenStatus.BLOCKED),
        (Refusal.EXPIRED, TokenStatus.EXPIRED),
        (Refusal.UNKNOWN, TokenStatus.UNKNOWN),
        (Refusal.NOT_ALLOWED, TokenStatus.NOT_AT_THIS_LOCATION),
        (None, TokenStatus.UNKNOWN),
    ],
)
def test_refusals_in_201_words(refusal, status):
    info = id_token_info(AuthDecision("X", False, "why", refusal=refusal))
    assert info.status is status
    assert not info.accepted


def test_group_is_given_when_it_fits():
    ok = id_token_info(AuthDecision("X", True, "ok", group_id="G" * 36))
    assert ok.payload() == {
        "status": "Accepted",
        "groupIdToken": {"idToken": "G" * 36, "type": "Central"},
    }
    long = id_token_info(AuthDecision("X", True, "ok", group_id="G" * 37))
    assert long.payload() == {"status": "Accepted"}


def test_token_kinds():
    assert token_type("ISO14443") is TokenType.RFID
    assert token_type("ISO15693") is TokenType.RFID
    assert token_type("Central") is TokenType.APP_USER
    assert token_type("eMAID") is TokenType.OTHER


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=8,
)


@settings(max_examples=50, deadline=None)
@given(st.lists(_JSON, max_size=6))
def test_any_201_frame_parses_to_a_verdict(items):
    frame = frames.parse(json.dumps(items), "ocpp2.0.1")
    if isinstance(frame, frames.Garbled):
        assert frame.code not in {
            frames.ErrorCode.FORMATION_VIOLATION,
            frames.ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION,
        }  # 1.6's words never reach a 2.0.1 station


@settings(max_examples=50, deadline=None)
@given(
    st.sampled_from([
        "TransactionEvent", "NotifyEvent", "StatusNotification", "BootNotification",
        "Authorize", "GetVariables", "Nope",
    ]),
    st.dictionaries(st.text(max_size=20), _JSON),
    st.booleans(),
)  # fmt: skip
def test_any_201_payload_is_checked_to_a_201_verdict(action, payload, result):
    verdict = frames.check("ocpp2.0.1", action, payload, result=result)
    if verdict is not None:
        assert verdict.code not in {
            frames.ErrorCode.FORMATION_VIOLATION,
            frames.ErrorCode.OCCURENCE_CONSTRAINT_VIOLATION,
        }


def _event(component: str, variable: str, value: str = "1") -> dict:
    return {
        "eventId": 1,
        "timestamp": "2026-03-02T06:00:00Z",
        "trigger": "Delta",
        "actualValue": value,
        "component": {"name": component},
        "variable": {"name": variable},
        "eventNotificationType": "HardWiredNotification",
    }


def test_events_are_counted_in_bounded_kinds():
    from edge.model.clock import SystemClock
    from edge.ocpp.handlers.v201 import MAX_EVENT_KINDS, OTHER_EVENTS, V201Handlers
    from edge.ocpp.status import ChargerStatus

    h = V201Handlers(ChargerStatus("CS", {1: "E1"}), SystemClock(), 60)
    notify = h.routes["NotifyEvent"]
    data = [_event(f"C{n}", "V") for n in range(MAX_EVENT_KINDS + 10)]
    at = "2026-03-02T06:00:00Z"
    assert notify({"generatedAt": at, "seqNo": 0, "eventData": data}) == {}
    assert len(h.events) == MAX_EVENT_KINDS + 1
    assert h.events[OTHER_EVENTS] == 10
    odd = _event("Connector", "AvailabilityState", "Broken")
    notify({"generatedAt": at, "seqNo": 1, "eventData": [_event("C0", "V"), odd]})
    assert h.events[("C0", "V")] == 2
    assert h.events[OTHER_EVENTS] == 11  # a new kind, once the count is full
    fresh = V201Handlers(ChargerStatus("CS", {1: "E1"}), SystemClock(), 60)
    fresh.routes["NotifyEvent"]({"generatedAt": at, "seqNo": 0, "eventData": [odd]})
    assert fresh.events == {("Connector", "AvailabilityState"): 1}  # not a status
