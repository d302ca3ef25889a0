"""The 2.0.1 list port's pure parts: its SendLocalList payload and byte budget."""

from __future__ import annotations

import pytest

from edge.ocpp import frames
from edge.ocpp.calls.local_list_v201 import _frame_bytes, entries_within, payload
from edge.ocpp.list_plan import IdStatus, ListUpdate


def test_payload_in_201_words_and_schema_valid():
    update = ListUpdate(7, False, (("CARD1", IdStatus.BLOCKED), ("CARD2", None)))
    p = payload(update)
    assert p == {
        "versionNumber": 7,
        "updateType": "Differential",
        "localAuthorizationList": [
            {
                "idToken": {"idToken": "CARD1", "type": "ISO14443"},
                "idTokenInfo": {"status": "Blocked"},
            },
            {"idToken": {"idToken": "CARD2", "type": "ISO14443"}},  # removed
        ],
    }
    assert frames.check("ocpp2.0.1", "SendLocalList", p, result=False) is None
    empty = payload(ListUpdate(1, True, ()))
    assert empty == {"versionNumber": 1, "updateType": "Full"}  # minItems 1
    assert frames.check("ocpp2.0.1", "SendLocalList", empty, result=False) is None


@pytest.mark.parametrize("limit", [50, 259, 260, 600, 4096, 65_536])
def test_entries_within_a_byte_limit_fit_it(limit):
    n = entries_within(limit)
    assert n >= 1
    if n > 1 or _frame_bytes(1) <= limit:
        assert _frame_bytes(n) <= limit
    assert _frame_bytes(n + 1) > limit
