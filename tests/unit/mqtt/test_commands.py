"""Command payloads: what Home Assistant sends, JSON with a request id, junk."""

from __future__ import annotations

import json

import pytest

from edge.model.commands import CommandOutcome, CommandResult
from edge.mqtt.commands import Malformed, SetLimit, Start, Stop, parse, result_payload
from edge.mqtt.topics import CommandTopic

START, STOP, LIMIT = CommandTopic.START, CommandTopic.STOP, CommandTopic.CURRENT_LIMIT


def test_buttons_and_numbers_as_home_assistant_sends_them() -> None:
    assert parse(START, b"START") == Start(None)
    assert parse(START, b"") == Start(None)
    assert parse(STOP, b"STOP") == Stop(None)
    assert parse(LIMIT, b"10") == SetLimit(None, 10.0)
    assert parse(LIMIT, b" 12.5\n") == SetLimit(None, 12.5)


def test_json_with_a_request_id() -> None:
    assert parse(START, b'{"request_id": "r-1"}') == Start("r-1")
    assert parse(LIMIT, b'{"current_limit_a": 8, "request_id": "x"}') == SetLimit(
        "x", 8.0
    )
    assert parse(LIMIT, b'{"current_limit_a": null}') == SetLimit(None, None)


@pytest.mark.parametrize(
    ("kind", "payload", "why"),
    [
        (LIMIT, b"ten", "'ten' is not amps"),
        (LIMIT, b"nan", "'nan' is not amps"),
        (LIMIT, b"inf", "'inf' is not amps"),
        (LIMIT, b'{"current_limit_a": NaN}', "not JSON"),
        (LIMIT, b'{"current_limit_a": "10"}', "number of amps"),
        (LIMIT, b'{"current_limit_a": true}', "number of amps"),
        (LIMIT, b'{"amps": 10}', "give current_limit_a"),
        (START, b'{"request_id": 5}', "request_id"),
        (START, b'{"request_id": "' + b"x" * 65 + b'"}', "request_id"),
        (START, b"{broken", "not JSON"),
        (STOP, b"\xff\xfe", "UTF-8"),
        (STOP, b"x" * 1025, "over 1024 bytes"),
    ],
)
def test_junk_is_refused_with_a_reason(
    kind: CommandTopic, payload: bytes, why: str
) -> None:
    got = parse(kind, payload)
    assert isinstance(got, Malformed)
    assert why in got.why


def test_result_payload() -> None:
    data = json.loads(
        result_payload(
            LIMIT, SetLimit("r", 9.0), CommandResult(CommandOutcome.ACCEPTED)
        )
    )
    assert data == {
        "command": "current_limit",
        "request_id": "r",
        "outcome": "ACCEPTED",
        "message": "",
        "current_limit_a": 9.0,
    }
