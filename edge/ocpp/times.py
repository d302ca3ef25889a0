"""OCPP-J times: how we read a charger's and write ours, in one place.

OCPP-J's ``date-time`` is RFC 3339 (section 5.6): a date, ``T``, a time with
optional fractions and a time offset (``Z`` or ``±hh:mm``); either letter may
be lower case. What a charger sends is read strictly: a time without an offset
is no OCPP-J time and raises :class:`ValueError` (the schema check answers it
with a CALLERROR before any handler sees it; a model known to send them is
tolerated by its profile, :mod:`edge.ocpp.deviations`). Fractions beyond
microseconds are cut, not rounded (what :mod:`datetime` keeps). What we read
is normalised to UTC.

What we write is UTC with a ``Z``, to the millisecond unless said.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Literal

_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})"
)


def charger_time(text: str) -> datetime:
    """An OCPP-J date-time as an aware datetime in UTC.

    Raises :class:`ValueError` for anything that is not RFC 3339 with an
    offset (a naive time, a date alone, ``24:00``, a leap second).
    """
    if _RFC3339.fullmatch(text) is None:
        raise ValueError("not an RFC 3339 date-time with a time offset")
    try:
        moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError as e:  # the shape is right, a field is out of range
        raise ValueError(f"not an RFC 3339 date-time: {e}") from None
    return moment.astimezone(UTC)


def is_date_time(value: str) -> bool:
    """Whether ``value`` is an OCPP-J date-time (:func:`charger_time` reads it)."""
    try:
        charger_time(value)
    except ValueError:
        return False
    return True


def wire_time(
    moment: datetime,
    *,
    timespec: Literal["seconds", "milliseconds", "microseconds"] = "milliseconds",
) -> str:
    """An aware datetime as OCPP-J writes it: ``2026-03-02T06:04:27.123Z``.

    ``microseconds`` keeps the moment exact (:func:`charger_time` reads back
    the same datetime): what we say again in our own words, such as a 2.0.1
    event told to the 1.6 transaction path, must not move its time.

    A naive datetime raises :class:`ValueError` (our clock is always aware:
    a naive one here is a bug, not a time to guess a zone for).
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a naive datetime has no OCPP-J form")
    return moment.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")
