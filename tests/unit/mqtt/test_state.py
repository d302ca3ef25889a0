"""State payloads (units in names, redacted token) and their rate limit."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from edge.evse.states import EvseStatus
from edge.mqtt.source import EvseDevice, EvseShown, SessionShown
from edge.mqtt.state import Reading, Throttle, readings
from edge.mqtt.topics import StateTopic

E1 = EvseDevice("E1", None, 16.0, "m", "b")
START = datetime(2026, 3, 2, 6, 4, 27, 500_000, tzinfo=UTC)


def shown(power: float | None = 7360.04, session: bool = True) -> EvseShown:
    return EvseShown(
        status=EvseStatus.CHARGING,
        phase="CHARGING",
        fault=None,
        power_w=power,
        energy_wh=1_250_496,
        current_limit_a=10.0,
        session=SessionShown("S1", 524, START, "****44AA") if session else None,
    )


def payloads(s: EvseShown) -> dict[StateTopic, object]:
    return {k: json.loads(r.payload) for k, r in readings(E1, s).items()}


def test_payloads_name_their_units() -> None:
    assert payloads(shown()) == {
        StateTopic.STATUS: {"status": "CHARGING", "phase": "CHARGING", "fault": None},
        StateTopic.POWER: {"power_w": 7360.0},
        StateTopic.ENERGY: {"energy_wh": 1_250_496},
        StateTopic.CURRENT_LIMIT: {"current_limit_a": 10.0, "max_current_a": 16.0},
        StateTopic.SESSION: {
            "active": True,
            "session_id": "S1",
            "energy_wh": 524,
            "start": "2026-03-02T06:04:27Z",
            "token": "****44AA",
        },
    }
    idle = payloads(shown(power=None, session=False))
    assert idle[StateTopic.POWER] == {"power_w": None}  # a silent meter: unknown
    assert idle[StateTopic.SESSION] == {
        "active": False,
        "session_id": None,
        "energy_wh": None,
        "start": None,
        "token": None,
    }


def test_throttle_publishes_key_changes_at_once_and_values_per_interval() -> None:
    t = Throttle(10.0)

    def offer(payload: bytes, key: str, now: float) -> bool:
        r = Reading(payload, key)
        if t.due("p", r, now):
            t.sent("p", r, now)
            return True
        return False

    assert offer(b"1", "", 0.0)  # first: at once
    assert not offer(b"1", "", 1.0)  # unchanged: never
    assert not offer(b"2", "", 5.0)  # changed within the interval: later
    assert not offer(b"3", "", 9.9)
    assert offer(b"3", "", 10.0)  # the latest value once the interval is up
    assert not offer(b"3", "", 50.0)  # and nothing while it stays
    assert offer(b"null", "unknown", 51.0)  # a key change: at once
    assert offer(b"4", "", 51.5)
    t.forget()  # a new connection: everything again
    assert offer(b"4", "", 52.0)
