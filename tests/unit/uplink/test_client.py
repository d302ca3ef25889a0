"""The OCPI client against the simulated eMSP over loopback: headers, envelopes,
every error, from real answers and the simulator's fault injection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter

from edge.model.clock import ManualClock
from edge.ocpi import Token, Version
from edge.ocpi.party import Party
from edge.uplink.ocpi.client import (
    HttpStatusError,
    MalformedResponse,
    OcpiClient,
    OcpiStatusError,
    RequestTimeout,
    Route,
    TransportError,
    authorization,
)
from hal_sim.backoffice.faults import Fault
from hal_sim.backoffice.registration import emsp_role
from hal_sim.backoffice.server import SimBackoffice
from hal_sim.backoffice.state import Registration
from hal_sim.backoffice.tokens import sample_tokens

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
TOKEN_C = "tok-C"
ROUTE = Route(Party("NL", "EXA"), Party("DE", "MSP"))


@pytest.fixture
async def bo() -> AsyncIterator[SimBackoffice]:
    """The simulated eMSP, with our CPO (NL*EXA) registered under token C."""
    async with SimBackoffice(
        ManualClock(T0), page_limit=2, tokens=sample_tokens(5, T0)
    ) as backoffice:
        backoffice.state.registrations[TOKEN_C] = Registration(
            token_c=TOKEN_C,
            token_b="tok-B",
            versions_url="http://127.0.0.1/cpo/versions",
            roles=[emsp_role("NL", "EXA", "CPO")],
        )
        yield backoffice


def session_url(bo: SimBackoffice, sid: str = "S1") -> str:
    return f"{bo.backoffice.module_url('sessions')}/NL/EXA/{sid}"


def test_authorization_header_is_token_and_base64_of_the_utf8_token() -> None:
    # The 2.2.1 document prints ZXhhbXBsZS10b2tlbgo= (a trailing newline slipped in).
    assert authorization("example-token") == "Token ZXhhbXBsZS10b2tlbg=="
    assert authorization("example-token", base64_token=False) == "Token example-token"


async def test_request_headers_ids_routing_and_body(bo: SimBackoffice) -> None:
    async with OcpiClient() as client:
        # not a Session: the eMSP parses the JSON body and names what is missing
        with pytest.raises(OcpiStatusError, match="invalid session") as refused:
            await client.call(
                "PUT",
                session_url(bo),
                token=TOKEN_C,
                body={"a": 1},
                route=ROUTE,
                correlation_id="corr-1",
            )
        assert refused.value.status_code == 2001
        # a configuration module: no routing headers (the eMSP refuses them there)
        await client.call("GET", bo.versions_url, token=TOKEN_C)
    put, get = bo.state.log
    assert (put.method, put.module, put.object_id) == ("PUT", "sessions", "S1")
    h = put.headers
    assert h["authorization"] == "Token dG9rLUM="
    assert h["content-type"] == "application/json"
    assert h["x-correlation-id"] == "corr-1"
    assert h["ocpi-from-country-code"] == "NL"
    assert h["ocpi-from-party-id"] == "EXA"
    assert h["ocpi-to-country-code"] == "DE"
    assert h["ocpi-to-party-id"] == "MSP"
    assert get.accepted
    assert "ocpi-from-party-id" not in get.headers
    assert "content-type" not in get.headers
    assert get.headers["x-request-id"] != h["x-request-id"]
    assert get.headers["x-correlation-id"] not in ("", "corr-1")


async def test_reply_unwraps_data_timestamp_and_pagination(bo: SimBackoffice) -> None:
    tokens = bo.backoffice.module_url("tokens")
    async with OcpiClient() as client:
        reply = await client.call(
            "GET", tokens, token=TOKEN_C, params={"limit": "2"}, route=ROUTE
        )
        versions = await client.call("GET", bo.versions_url, token=TOKEN_C)
    assert (reply.http_status, reply.status_code) == (200, 1000)
    assert reply.timestamp == T0  # the eMSP's clock
    assert reply.next_url is not None
    assert reply.next_url.startswith(tokens)
    assert "offset=2" in reply.next_url
    assert (reply.total_count, reply.limit) == (5, 2)
    page = reply.data_as(TypeAdapter(list[Token]), "tokens")
    assert [t.uid for t in page] == [t.uid for t in sample_tokens(2, T0)]
    [version] = versions.data_as(TypeAdapter(list[Version]), "versions")
    assert version.url == f"{bo.backoffice.base_url}/ocpi/emsp/2.2.1"


async def test_data_of_the_wrong_shape_is_a_malformed_answer(bo: SimBackoffice) -> None:
    async with OcpiClient() as client:
        reply = await client.call("GET", bo.versions_url, token=TOKEN_C)
    with pytest.raises(MalformedResponse, match=r"tokens\[0\]\.country_code"):
        reply.data_as(TypeAdapter(list[Token]), "tokens")


@pytest.mark.parametrize(
    ("fault", "error", "match"),
    [
        (Fault.NOT_JSON, MalformedResponse, "not JSON"),
        (Fault.WRONG_ENVELOPE, MalformedResponse, "no OCPI envelope"),
        (Fault.STATUS_AS_STRING, MalformedResponse, "no OCPI envelope"),
        (Fault.STATUS_2001, OcpiStatusError, "2001"),
        (Fault.STATUS_3000, OcpiStatusError, "3000"),
        (Fault.HTTP_500, HttpStatusError, "HTTP 500 with a non-JSON body"),
    ],
)
async def test_every_bad_answer_becomes_our_exception(
    bo: SimBackoffice, fault, error, match
) -> None:
    bo.faults.inject(fault)
    async with OcpiClient() as client:
        with pytest.raises(error, match=match):
            await client.call("GET", bo.versions_url, token=TOKEN_C)
        await client.call("GET", bo.versions_url, token=TOKEN_C)  # one answer only
    assert bo.faults.served[0].fault is fault


async def test_http_error_keeps_the_envelope(bo: SimBackoffice) -> None:
    patch = {"kwh": 1, "last_updated": "2026-03-02T10:00:00Z"}
    async with OcpiClient() as client:
        with pytest.raises(HttpStatusError) as caught:
            await client.call(
                "PATCH", session_url(bo, "S9"), token=TOKEN_C, body=patch, route=ROUTE
            )
    exc = caught.value
    assert (exc.http_status, exc.ocpi_status) == (404, 2001)
    assert exc.ocpi_message == "unknown session S9 (PUT it first)"
    assert exc.retry_after_s is None


@pytest.mark.parametrize("as_date", [False, True])
async def test_retry_after_in_seconds_or_as_an_http_date(
    bo: SimBackoffice, as_date: bool
) -> None:
    bo.faults.retry_after_s = 120
    bo.faults.retry_after_date = as_date
    bo.faults.inject(Fault.HTTP_503)
    async with OcpiClient() as client:
        with pytest.raises(HttpStatusError) as caught:
            await client.call("GET", bo.versions_url, token=TOKEN_C)
    assert caught.value.http_status == 503
    wait = caught.value.retry_after_s
    assert wait is not None
    if not as_date:
        assert wait == 120.0
    else:  # relative to the answer's Date, which the server stamps to the second
        assert 120.0 <= wait <= 150.0


async def test_a_refused_connection_is_a_transport_error(bo: SimBackoffice) -> None:
    await bo.outage(True)
    async with OcpiClient() as client:
        with pytest.raises(TransportError, match="GET " + bo.versions_url) as caught:
            await client.call("GET", bo.versions_url, token=TOKEN_C)
    assert type(caught.value.__cause__).__module__.startswith("httpx")


async def test_a_lost_answer_is_a_transport_error(bo: SimBackoffice) -> None:
    assert bo.link is not None
    bo.link.drop_next()
    async with OcpiClient() as client:
        with pytest.raises(TransportError, match="disconnected") as caught:
            await client.call("GET", bo.versions_url, token=TOKEN_C)
    assert type(caught.value.__cause__).__module__.startswith("httpx")
    assert bo.link.dropped == 1
    assert [r.module for r in bo.state.log] == ["versions"]  # it did arrive


async def test_no_answer_in_time_is_a_timeout(bo: SimBackoffice) -> None:
    assert bo.link is not None
    bo.link.blackhole = True
    async with OcpiClient() as client:
        with pytest.raises(RequestTimeout, match="no answer in time"):
            await client.call("GET", bo.versions_url, token=TOKEN_C, timeout_s=0.2)
    assert bo.state.log == []


async def test_invalid_url_is_a_transport_error_not_an_httpx_one() -> None:
    async with OcpiClient() as client:
        with pytest.raises(TransportError):
            await client.call("GET", "http://exa\x00mple/versions", token="t")
