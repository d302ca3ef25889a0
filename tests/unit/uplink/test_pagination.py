"""Page queries and headers of our Sender interfaces."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from edge.uplink.ocpi.serve.answer import Refused
from edge.uplink.ocpi.serve.pagination import (
    MAX_LIMIT,
    PageQuery,
    page_headers,
    parse_page_query,
)

URL = "http://cpo.example/ocpi/cpo/2.2.1/cdrs"


def test_defaults_cap_and_window() -> None:
    q = parse_page_query({})
    assert (q.offset, q.limit, q.date_from, q.date_to) == (0, MAX_LIMIT, None, None)
    assert parse_page_query({"limit": "5000"}).limit == MAX_LIMIT
    q = parse_page_query(
        {"date_from": "2026-03-02T08:00:00Z", "date_to": "2026-03-02T09:00:00"}
    )
    t = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    assert q.matches(t)  # date_from inclusive
    assert not q.matches(t.replace(hour=9))  # date_to exclusive
    assert not q.matches(t.replace(minute=0, second=0, hour=7))


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"offset": "-1"}, "offset"),
        ({"limit": "0"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"date_from": "2026-03-02T08:00:00+01:00"}, "date_from"),
        ({"date_to": "today"}, "date_to"),
    ],
)
def test_bad_parameters_are_named(params: dict[str, str], named: str) -> None:
    with pytest.raises(Refused) as err:
        parse_page_query(params)
    assert err.value.answer.status_code == 2001
    assert f"query parameter {named}" in str(err.value.answer.message)


def test_sessions_need_date_from() -> None:
    with pytest.raises(Refused, match="date_from is required"):
        parse_page_query({}, date_from_required=True)


def test_link_keeps_the_dates_as_given_until_the_last_page() -> None:
    asked = {"date_from": "2026-03-02T08:00:00.5Z", "limit": "10", "offset": "0"}
    q = PageQuery(offset=0, limit=10)
    h = page_headers(URL, q, 25, asked)
    assert h["X-Total-Count"] == "25"
    assert h["X-Limit"] == str(MAX_LIMIT)
    assert h["Link"] == (
        f'<{URL}?date_from=2026-03-02T08%3A00%3A00.5Z&offset=10&limit=10>; rel="next"'
    )
    assert "Link" not in page_headers(URL, PageQuery(offset=20, limit=10), 25, asked)
    assert "Link" not in page_headers(URL, PageQuery(offset=0, limit=10), 10, asked)
