"""The simulated charger's charging profiles: the 1.6 composite, honoured."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hal_sim.ocpp.profiles import SimProfiles

T0 = datetime(2026, 3, 2, 8, tzinfo=UTC)


def _wire(moment):
    return moment.isoformat().replace("+00:00", "Z")


def _profile(pid, level, purpose, limit, *, unit="A", valid_to=None, duration=None):
    p = {
        "charging_profile_id": pid,
        "stack_level": level,
        "charging_profile_purpose": purpose,
        "charging_profile_kind": "Absolute",
        "charging_schedule": {
            "start_schedule": _wire(T0),
            "charging_rate_unit": unit,
            "charging_schedule_period": [{"start_period": 0, "limit": limit}],
        },
    }
    if valid_to is not None:
        p["valid_to"] = _wire(valid_to)
    if duration is not None:
        p["charging_schedule"]["duration"] = duration
    return p


def test_the_composite_falls_back_to_what_lies_under_a_lapsed_profile():
    held = SimProfiles()
    lease_end = T0 + timedelta(seconds=120)
    assert held.limit_a(1, T0) is None  # no profile: no limit
    assert (
        held.set_profile(0, _profile(1, 0, "ChargePointMaxProfile", 6.0)) == "Accepted"
    )
    assert (
        held.set_profile(
            0, _profile(2, 1, "ChargePointMaxProfile", 32.0, valid_to=lease_end)
        )
        == "Accepted"
    )
    assert held.set_profile(1, _profile(101, 1, "TxDefaultProfile", 16.0)) == "Accepted"
    assert held.limit_a(1, T0 + timedelta(seconds=60)) == 16.0  # min(32, 16)
    assert held.limit_a(2, T0 + timedelta(seconds=60)) == 32.0  # no Tx profile there
    assert held.limit_a(1, lease_end) == 6.0  # the lease lapsed: the failsafe caps
    assert (
        held.set_profile(1, _profile(102, 1, "TxDefaultProfile", 10.0, duration=30))
        == "Accepted"
    )
    assert held.limit_a(1, T0 + timedelta(seconds=10)) == 10.0  # same level: replaced
    assert held.limit_a(1, T0 + timedelta(seconds=40)) == 32.0  # its duration is over
    schedule = held.composite(1, 120, T0)
    assert schedule is not None
    assert schedule["charging_schedule_period"] == [
        {"start_period": 0, "limit": 10.0},
        {"start_period": 60, "limit": 32.0},
    ]


def test_what_a_charger_rejects_and_clears():
    held = SimProfiles()
    assert (
        held.set_profile(1, _profile(1, 0, "ChargePointMaxProfile", 6.0)) == "Rejected"
    )
    assert held.set_profile(1, _profile(2, 0, "TxProfile", 6.0)) == "Rejected"  # no tx
    assert (
        held.set_profile(0, _profile(3, 0, "TxDefaultProfile", 7.0, unit="W"))
        == "Rejected"
    )
    held.has_transaction = lambda c: 42 if c == 1 else None
    assert held.set_profile(1, _profile(4, 2, "TxProfile", 9.0)) == "Accepted"
    assert held.set_profile(0, _profile(5, 0, "TxDefaultProfile", 20.0)) == "Accepted"
    assert held.limit_a(1, T0) == 9.0  # the TxProfile before any default
    assert held.limit_a(2, T0) == 20.0  # connector 0's default for the others
    assert held.clear(purpose="TxProfile") == "Accepted"
    assert held.limit_a(1, T0) == 20.0
    assert held.clear(profile_id=99) == "Unknown"
    held.answer = "Rejected"
    assert held.set_profile(0, _profile(6, 0, "TxDefaultProfile", 8.0)) == "Rejected"
