"""Sessions as plain rows, for the CLI and the local API (JSON and CSV)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from typing import TextIO

from edge.model.session import Session
from edge.store.timefmt import iso

CSV_FIELDS = [
    "id",
    "evse_uid",
    "token_uid",
    "start",
    "end",
    "kwh",
    "energy_wh",
    "meter_start_wh",
    "meter_stop_wh",
    "status",
    "stop_reason",
    "auth_reason",
]
"""The columns of a sessions CSV, in order (the keys of :func:`session_rows`)."""


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


def write_csv(rows: Iterable[Mapping[str, object]], out: TextIO) -> None:
    """``rows`` (of :func:`session_rows`) as CSV with a header line."""
    writer = csv.DictWriter(out, fieldnames=CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
