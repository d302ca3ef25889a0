"""The simulated charger's local list: as a 1.6 charger applies SendLocalList."""

from __future__ import annotations

from hal_sim.ocpp.local_list import SimLocalList


def _entry(tag, status="Accepted"):
    return {"idTag": tag, "idTagInfo": {"status": status}}


def test_full_then_differential_adds_updates_and_removes():
    held = SimLocalList()
    assert held.send_local_list(1, "Full", [_entry("a"), _entry("B")]) == "Accepted"
    assert held.entries == {"A": "Accepted", "B": "Accepted"}
    assert (
        held.send_local_list(
            2, "Differential", [{"idTag": "A"}, _entry("b", "Blocked")]
        )
        == "Accepted"
    )
    assert held.entries == {"B": "Blocked"}
    assert held.authorize("b") == "Blocked"
    assert held.authorize("nobody") is None
    assert held.version == 2


def test_what_a_charger_refuses():
    held = SimLocalList(local_max=2, send_max=2)
    assert (
        held.send_local_list(1, "Full", [_entry("A"), _entry("B"), _entry("C")])
        == "Failed"
    )
    assert held.send_local_list(1, "Full", [{"idTag": "A"}]) == "Failed"
    assert held.send_local_list(1, "Full", [_entry("A"), _entry("B")]) == "Accepted"
    assert held.send_local_list(2, "Differential", [_entry("C")]) == "Failed"  # 3 > 2
    assert (
        held.send_local_list(1, "Differential", [{"idTag": "A"}]) == "VersionMismatch"
    )
    held.answer_next("Failed")
    assert held.send_local_list(5, "Full", []) == "Failed"
    assert held.send_local_list(5, "Full", []) == "Accepted"
    assert (held.version, held.entries) == (5, {})
