"""The simulated eMSP's own envelope and token check (it shares no code with ours)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from hal_sim.backoffice.exchange import Call, envelope, presented_tokens

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("header", "accept_raw", "expected"),
    [
        (f"Token {b64('abc')}", False, ["abc"]),
        (f"token   {b64('abc')}  ", False, ["abc"]),  # scheme in any case
        (f"Token {b64('abc')}", True, ["abc", b64("abc")]),
        ("Token not-base64!", False, []),  # 2.1.1 style, refused by a strict eMSP
        ("Token not-base64!", True, ["not-base64!"]),
        (f"Bearer {b64('abc')}", True, []),
        ("Token", True, []),
        ("", True, []),
    ],
)
def test_presented_tokens(header: str, accept_raw: bool, expected: list[str]) -> None:
    assert presented_tokens(header, accept_raw) == expected


def call(**headers: str) -> Call:
    return Call("GET", "http://h/x", "/x", "", {}, headers, {})


def test_envelope_leaves_data_out_when_none_and_echoes_the_request_ids() -> None:
    raw = envelope(
        NOW, status_code=2001, message="no", call=call(**{"x-request-id": "r1"})
    )
    assert json.loads(raw.body) == {
        "status_code": 2001,
        "status_message": "no",
        "timestamp": "2026-01-02T03:04:05Z",
    }
    assert raw.headers["X-Request-ID"] == "r1"
    assert raw.headers["X-Correlation-ID"]  # made up when the request had none
    assert (raw.status, raw.media_type) == (200, "application/json")


def test_envelope_keeps_empty_data_and_extra_headers() -> None:
    raw = envelope(NOW, [], http_status=201, headers={"X-Total-Count": "0"})
    assert json.loads(raw.body)["data"] == []
    assert raw.status == 201
    assert raw.headers == {"X-Total-Count": "0"}
