"""Paginated GET on our Sender interfaces (OCPI 2.2.1 *Transport and format*).

Query: ``date_from`` (inclusive) and ``date_to`` (exclusive) on ``last_updated``,
``offset`` (default 0) and ``limit`` (default and cap :data:`MAX_LIMIT`).
Answer headers: ``X-Total-Count`` (objects matching the dates), ``X-Limit`` (our
cap) and, while objects remain after this page, ``Link: <url>; rel="next"``
carrying the original date filters. A bad parameter is refused with OCPI 2001
naming it; ``offset`` and ``limit`` beyond :data:`MAX_OFFSET` are bad parameters
(an offset past the end is an empty page, one past 2^31 is junk).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

from edge.ocpi import parse_ocpi_datetime
from edge.uplink.ocpi.serve.answer import SHOWN, invalid, shown

MAX_LIMIT = 100
"""The most objects one page holds (our ``X-Limit``)."""
MAX_OFFSET = 2**31 - 1
"""The largest ``offset`` or ``limit`` taken."""


@dataclass(frozen=True)
class PageQuery:
    """One page request."""

    date_from: datetime | None = None
    date_to: datetime | None = None
    offset: int = 0
    limit: int = MAX_LIMIT

    def matches(self, last_updated: datetime) -> bool:
        """Whether an object last updated then is in the date window."""
        return (self.date_from is None or last_updated >= self.date_from) and (
            self.date_to is None or last_updated < self.date_to
        )


def _time(params: Mapping[str, str], name: str) -> datetime | None:
    value = params.get(name)
    if value is None:
        return None
    if len(value) > SHOWN:
        raise invalid(f"query parameter {name}: {shown(value)} is not a DateTime")
    try:
        return parse_ocpi_datetime(value)
    except ValueError as exc:
        raise invalid(f"query parameter {name}: {exc}") from exc


def _int(params: Mapping[str, str], name: str, default: int, minimum: int) -> int:
    value = params.get(name)
    if value is None:
        return default
    digits = len(str(MAX_OFFSET))
    ok = value.isascii() and value.isdigit() and len(value) <= digits
    if not ok or not minimum <= int(value) <= MAX_OFFSET:
        raise invalid(
            f"query parameter {name}: {shown(value)} is not an integer "
            f"from {minimum} to {MAX_OFFSET}"
        )
    return int(value)


def parse_page_query(
    params: Mapping[str, str], *, date_from_required: bool = False
) -> PageQuery:
    """The page asked for; raises Refused (2001) naming a bad parameter."""
    date_from = _time(params, "date_from")
    if date_from is None and date_from_required:
        raise invalid("query parameter date_from is required for this module")
    date_to = _time(params, "date_to")
    offset = _int(params, "offset", 0, 0)
    limit = min(_int(params, "limit", MAX_LIMIT, 1), MAX_LIMIT)
    return PageQuery(date_from, date_to, offset, limit)


def page_headers(
    url: str, q: PageQuery, total: int, asked: Mapping[str, str]
) -> dict[str, str]:
    """``X-Total-Count``, ``X-Limit`` and (if more remain) ``Link`` for a page.

    ``url`` is the endpoint without its query, ``asked`` the query as received:
    the next page carries its date filters unchanged.
    """
    headers = {"X-Total-Count": str(total), "X-Limit": str(MAX_LIMIT)}
    if q.offset + q.limit < total:
        params = {k: asked[k] for k in ("date_from", "date_to") if k in asked}
        params["offset"] = str(q.offset + q.limit)
        params["limit"] = str(q.limit)
        headers["Link"] = f'<{url}?{urlencode(params)}>; rel="next"'
    return headers
