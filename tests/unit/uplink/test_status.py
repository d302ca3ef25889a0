"""Every OCPI status code and transport failure has one decided action."""

from __future__ import annotations

import pytest

from edge.uplink.ocpi.client import (
    HttpStatusError,
    MalformedResponse,
    NotRegistered,
    OcpiStatusError,
    RequestTimeout,
    TransportError,
)
from edge.uplink.ocpi.push.verdicts import (
    STATUS_CODES,
    Action,
    describe,
    is_duplicate,
    verdict,
)


def ocpi(code: int, message: str | None = None) -> OcpiStatusError:
    return OcpiStatusError(f"OCPI {code}", code, message, 200)


def test_the_table_lists_every_standard_code_of_2_2_1() -> None:
    assert set(STATUS_CODES) == {
        1000,
        2000,
        2001,
        2002,
        2003,
        2004,
        3000,
        3001,
        3002,
        3003,
        4000,
        4001,
        4002,
        4003,
    }


@pytest.mark.parametrize(
    ("code", "action", "link"),
    [
        (2000, Action.REJECTED, False),
        (2001, Action.REJECTED, False),
        (2002, Action.REJECTED, False),
        (2003, Action.REJECTED, False),
        (2004, Action.REJECTED, False),
        (2950, Action.REJECTED, False),  # custom client error
        (3000, Action.RETRY, True),
        (3001, Action.RETRY, True),
        (3002, Action.RETRY, True),
        (3003, Action.RETRY, True),
        (3950, Action.RETRY, True),
        (4000, Action.RETRY, True),
        (4001, Action.RETRY, True),
        (4002, Action.RETRY, True),
        (4003, Action.RETRY, True),
        (4950, Action.RETRY, True),
    ],
)
def test_each_status_code_one_by_one(code: int, action: Action, link: bool) -> None:
    v = verdict(ocpi(code, "why"))
    assert (v.action, v.link) == (action, link)
    assert str(code) in v.reason
    assert "why" in v.reason


def test_custom_success_range_is_success() -> None:
    assert describe(1901)[1] is Action.DELIVERED


@pytest.mark.parametrize(
    ("http", "action", "link"),
    [
        (400, Action.REJECTED, False),
        (404, Action.REJECTED, False),
        (405, Action.REJECTED, False),
        (401, Action.RETRY, True),  # our credentials, not the object
        (403, Action.RETRY, True),
        (301, Action.RETRY, True),
        (408, Action.RETRY, True),
        (429, Action.RETRY, True),
        (500, Action.RETRY, True),
        (503, Action.RETRY, True),
    ],
)
def test_http_statuses(http: int, action: Action, link: bool) -> None:
    v = verdict(HttpStatusError(f"HTTP {http}", http, retry_after_s=7.0))
    assert (v.action, v.link) == (action, link)
    if action is Action.RETRY and http not in (401, 403):
        assert v.retry_after_s == 7.0


def test_credentials_refused_says_what_to_do() -> None:
    assert "token C" in verdict(HttpStatusError("HTTP 401", 401)).reason


@pytest.mark.parametrize(
    ("exc", "prefix"),
    [
        (RequestTimeout("no answer"), "timeout"),
        (TransportError("refused"), "connection failed"),
        (MalformedResponse("not JSON", 200), "malformed answer"),
        (NotRegistered("no token C"), "not registered"),
    ],
)
def test_transport_failures_are_retried_on_the_link(exc, prefix: str) -> None:
    v = verdict(exc)
    assert (v.action, v.link) == (Action.RETRY, True)
    assert v.reason.startswith(prefix)


@pytest.mark.parametrize(
    ("exc", "duplicate"),
    [
        (HttpStatusError("HTTP 409", 409), True),
        (ocpi(2001, "CDR 1234 already exists"), True),
        (ocpi(2000, "Duplicate CDR"), True),
        (
            HttpStatusError(
                "HTTP 400", 400, ocpi_status=2001, ocpi_message="cdr exists"
            ),
            True,
        ),
        (ocpi(2001, "Missing required field: type"), False),
        (ocpi(3000, "already on fire"), False),  # a server error is no duplicate
        (TransportError("refused"), False),
    ],
)
def test_duplicate_cdr_detection(exc, duplicate: bool) -> None:
    assert is_duplicate(exc) is duplicate
