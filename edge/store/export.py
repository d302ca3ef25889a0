"""Sessions as plain rows for the CLI (JSON and CSV)."""

from __future__ import annotations

from collections.abc import Iterable

from edge.model.session import Session
from edge.store.timefmt import iso


def session_rows(sessions: Iterable[Session]) -> list[dict[str, object]]:
    """One JSON-ready dict per session; times in ISO 8601 UTC, energy in kWh."""
    return [
        {
            "id": s.id,
            "evse_uid": s.evse_uid,
            "token_uid": s.token_uid,
            "start": iso(s.start),
            "end": iso(s.end) if s.end else None,
            "kwh": round(s.energy_wh / 1000, 3),
            "energy_wh": s.energy_wh,
            "meter_start_wh": s.meter_start_wh,
            "meter_stop_wh": s.meter_stop_wh,
            "status": s.status.value,
            "stop_reason": s.stop_reason,
            "auth_reason": s.auth_reason,
        }
        for s in sessions
    ]
