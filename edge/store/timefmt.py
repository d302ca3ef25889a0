"""Timestamps in the store: ISO 8601 UTC text, second precision or finer."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime) -> str:
    """Format an aware datetime as ISO 8601 UTC with a 'Z'."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to the store")
    return (
        moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def parse_iso(text: str) -> datetime:
    """Parse what :func:`iso` wrote."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
