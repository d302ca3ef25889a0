"""OCPP-J times as the simulated charge points write and read them.

The simulator's own copy of the two rules (it may not import the
controller's :mod:`edge.ocpp.times`): a charger writes UTC to the second with a
``Z``; what the central system sends is RFC 3339 with an offset (``Z`` or
``±hh:mm``, either letter in either case).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal


def wire(
    moment: datetime, timespec: Literal["seconds", "milliseconds"] = "seconds"
) -> str:
    """A datetime as a charger writes it: ``2026-03-02T06:04:27Z`` (UTC).

    A 2.0.1 station writes milliseconds.
    """
    return moment.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def central_time(text: str) -> datetime:
    """A date-time the central system sent, as an aware datetime."""
    return datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
