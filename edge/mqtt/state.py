"""The retained state payloads of an EVSE, and when each is due: pure.

Payloads are JSON with the unit in every name (``power_w``, ``energy_wh``,
``current_limit_a``); times are RFC 3339 UTC (``2026-03-02T06:00:00Z``); an
unknown value is ``null``. A topic is published when its payload changed: at
once when its *key* changed (a new status, a session started or ended, a
value became unknown), and otherwise (power and energy creeping along) at most
once per ``interval_s`` of site time, the latest value then.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from edge.mqtt.source import EvseDevice, EvseShown
from edge.mqtt.topics import StateTopic


@dataclass(frozen=True)
class Reading:
    """One topic's payload, and what makes it urgent."""

    payload: bytes
    key: str
    """A change of the key is published at once; of the payload alone, throttled."""


def _json(data: dict[str, object]) -> bytes:
    return json.dumps(data, separators=(",", ":"), allow_nan=False).encode()


def rfc3339(t: datetime | None) -> str | None:
    """UTC, whole seconds, ``Z``."""
    return None if t is None else t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def readings(ident: EvseDevice, shown: EvseShown) -> dict[StateTopic, Reading]:
    """Every state topic's payload for this EVSE."""
    status = _json(
        {"status": shown.status.value, "phase": shown.phase, "fault": shown.fault}
    )
    power = None if shown.power_w is None else round(shown.power_w, 1)
    limit = _json(
        {
            "current_limit_a": shown.current_limit_a,
            "max_current_a": ident.max_current_a,
        }
    )
    s = shown.session
    session = _json(
        {
            "active": s is not None,
            "session_id": None if s is None else s.id,
            "energy_wh": None if s is None else s.energy_wh,
            "start": None if s is None else rfc3339(s.start),
            "token": None if s is None else s.token,
        }
    )
    session_key = "" if s is None else f"{s.id}|{s.start}|{s.energy_wh is None}"
    return {
        StateTopic.STATUS: Reading(status, status.decode()),
        StateTopic.POWER: Reading(_json({"power_w": power}), str(power is None)),
        StateTopic.ENERGY: Reading(
            _json({"energy_wh": shown.energy_wh}), str(shown.energy_wh is None)
        ),
        StateTopic.CURRENT_LIMIT: Reading(limit, limit.decode()),
        StateTopic.SESSION: Reading(session, session_key),
    }


@dataclass
class _Sent:
    key: str
    payload: bytes
    at: float


class Throttle:
    """Which readings are due on which topic (site-monotonic seconds)."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._sent: dict[str, _Sent] = {}

    def due(self, topic: str, reading: Reading, now: float) -> bool:
        """Whether ``reading`` should be published on ``topic`` now."""
        last = self._sent.get(topic)
        if last is None or last.key != reading.key:
            return True
        if last.payload == reading.payload:
            return False
        return now - last.at >= self.interval_s

    def sent(self, topic: str, reading: Reading, now: float) -> None:
        """``reading`` was published on ``topic`` at ``now``."""
        self._sent[topic] = _Sent(reading.key, reading.payload, now)

    def forget(self) -> None:
        """Everything is due again (a new connection: republish it all)."""
        self._sent.clear()
