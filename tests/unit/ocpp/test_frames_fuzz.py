"""Whatever a charger sends, parsing and checking answer; they never raise."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.ocpp import frames

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=8,
)
ACTIONS = [
    "BootNotification",
    "StatusNotification",
    "Heartbeat",
    "MeterValues",
    "StopTransaction",
    "Authorize",
    "SendLocalList",
    "Nope",
]


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=200))
def test_any_text(text):
    assert isinstance(
        frames.parse(text),
        frames.Garbled
        | frames.IncomingCall
        | frames.IncomingResult
        | frames.IncomingError,
    )


@settings(max_examples=50, deadline=None)
@given(st.lists(json_values, max_size=6))
def test_any_json_array(items):
    frame = frames.parse(json.dumps(items))
    if isinstance(frame, frames.IncomingCall):
        assert items[0] == 2
        assert frame.unique_id == items[1]


@settings(max_examples=50, deadline=None)
@given(
    st.sampled_from(ACTIONS),
    st.dictionaries(st.text(max_size=20), json_values),
    st.booleans(),
)
def test_any_payload_is_checked_to_a_verdict(action, payload, result):
    verdict = frames.check("ocpp1.6", action, payload, result=result)
    assert verdict is None or isinstance(verdict.code, frames.ErrorCode)
