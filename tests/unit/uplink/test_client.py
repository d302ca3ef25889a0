"""The OCPI client against httpx.MockTransport: headers, envelopes, every error."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx  # noqa: TID251 - the client is driven through httpx.MockTransport
import pytest
from pydantic import TypeAdapter

from edge.uplink.ocpi.client import OcpiClient, Party, Route, authorization
from edge.uplink.ocpi.errors import (
    HttpStatusError,
    MalformedResponse,
    OcpiStatusError,
    RequestTimeout,
    TransportError,
)
from edge.uplink.ocpi.models import Version

URL = "https://emsp.example/ocpi/2.2.1/sessions/NL/EXA/S1"
OK = {"status_code": 1000, "timestamp": "2026-03-02T10:00:00Z"}


def client_for(handler: Callable[[httpx.Request], httpx.Response], **kw) -> OcpiClient:
    return OcpiClient(transport=httpx.MockTransport(handler), **kw)


def test_authorization_header_is_token_and_base64_of_the_utf8_token() -> None:
    # The 2.2.1 document prints ZXhhbXBsZS10b2tlbgo= (a trailing newline slipped in).
    assert authorization("example-token") == "Token ZXhhbXBsZS10b2tlbg=="
    assert authorization("example-token", base64_token=False) == "Token example-token"


async def test_request_headers_ids_routing_and_body() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=OK)

    route = Route(Party("NL", "EXA"), Party("DE", "MSP"))
    async with client_for(handler) as client:
        await client.call(
            "PUT",
            URL,
            token="tok-C",
            body={"a": 1},
            route=route,
            correlation_id="corr-1",
        )
        await client.call("GET", URL, token="tok-C")
    put, get = seen
    assert put.headers["authorization"] == "Token dG9rLUM="
    assert put.headers["content-type"] == "application/json"
    assert json.loads(put.content) == {"a": 1}
    assert put.headers["x-correlation-id"] == "corr-1"
    assert put.headers["ocpi-from-country-code"] == "NL"
    assert put.headers["ocpi-from-party-id"] == "EXA"
    assert put.headers["ocpi-to-country-code"] == "DE"
    assert put.headers["ocpi-to-party-id"] == "MSP"
    # configuration-module style call: no routing headers, fresh ids
    assert "ocpi-from-party-id" not in get.headers
    assert "content-type" not in get.headers
    assert get.headers["x-request-id"] != put.headers["x-request-id"]
    assert get.headers["x-correlation-id"] not in ("", "corr-1")


async def test_reply_unwraps_data_and_pagination_headers() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            json={
                **OK,
                "data": [{"version": "2.2.1", "url": "https://x/2.2.1"}],
                "status_message": "fine",
            },
            headers={
                "Link": '<?offset=2&limit=2>; rel="next"',
                "X-Total-Count": "5",
                "X-Limit": "2",
                "Location": "https://emsp.example/cdrs/1",
            },
        )

    async with client_for(handler) as client:
        reply = await client.call(
            "GET", "https://emsp.example/tokens/?limit=2", token="t"
        )
    assert reply.status_code == 1000
    assert reply.status_message == "fine"
    assert reply.timestamp is not None
    assert reply.timestamp.hour == 10
    assert reply.next_url == "https://emsp.example/tokens/?offset=2&limit=2"
    assert (reply.total_count, reply.limit) == (5, 2)
    assert reply.location == "https://emsp.example/cdrs/1"
    versions = reply.data_as(TypeAdapter(list[Version]), "versions")
    assert versions[0].url == "https://x/2.2.1"


async def test_data_of_the_wrong_shape_is_a_malformed_answer() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={**OK, "data": [{"version": "9.9"}]})

    async with client_for(handler) as client:
        reply = await client.call("GET", URL, token="t")
    with pytest.raises(MalformedResponse, match=r"versions\[0\]\.version"):
        reply.data_as(TypeAdapter(list[Version]), "versions")


@pytest.mark.parametrize(
    ("response", "error", "match"),
    [
        (
            httpx.Response(200, text="<html>captive portal</html>"),
            MalformedResponse,
            "not JSON",
        ),
        (
            httpx.Response(200, json={"data": [], "status": "ok"}),
            MalformedResponse,
            "no OCPI envelope",
        ),
        (
            httpx.Response(200, json={"status_code": "1000"}),
            MalformedResponse,
            "no OCPI envelope",
        ),
        (
            httpx.Response(
                200,
                json={
                    **OK,
                    "status_code": 2001,
                    "status_message": "Missing field: type",
                },
            ),
            OcpiStatusError,
            "2001",
        ),
        (httpx.Response(500, text="oops"), HttpStatusError, "HTTP 500"),
    ],
)
async def test_every_bad_answer_becomes_our_exception(response, error, match) -> None:
    async with client_for(lambda r: response) as client:
        with pytest.raises(error, match=match):
            await client.call("PUT", URL, token="t", body={})


async def test_http_error_keeps_envelope_and_retry_after() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            503,
            json={**OK, "status_code": 3000, "status_message": "maintenance"},
            headers={"Retry-After": "120"},
        )

    async with client_for(handler) as client:
        with pytest.raises(HttpStatusError) as caught:
            await client.call("PUT", URL, token="t", body={})
    exc = caught.value
    assert (exc.http_status, exc.retry_after_s) == (503, 120.0)
    assert (exc.ocpi_status, exc.ocpi_message) == (3000, "maintenance")


async def test_retry_after_as_http_date_is_relative_to_the_answers_date() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            429,
            headers={
                "Retry-After": "Mon, 02 Mar 2026 10:05:00 GMT",
                "Date": "Mon, 02 Mar 2026 10:00:00 GMT",
            },
        )

    async with client_for(handler) as client:
        with pytest.raises(HttpStatusError) as caught:
            await client.call("GET", URL, token="t")
    assert caught.value.retry_after_s == 300.0


@pytest.mark.parametrize(
    ("raised", "error"),
    [
        (httpx.ReadTimeout("slow"), RequestTimeout),
        (httpx.ConnectTimeout("slow"), RequestTimeout),
        (httpx.ConnectError("refused"), TransportError),
        (
            httpx.RemoteProtocolError("Server disconnected without sending a response"),
            TransportError,
        ),
    ],
)
async def test_httpx_errors_are_translated_with_their_cause(raised, error) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise raised

    async with client_for(handler) as client:
        with pytest.raises(error) as caught:
            await client.call("GET", URL, token="t")
    assert caught.value.__cause__ is raised
    assert "GET " + URL in caught.value.reason


async def test_invalid_url_is_a_transport_error_not_an_httpx_one() -> None:
    async with client_for(lambda r: httpx.Response(200, json=OK)) as client:
        with pytest.raises(TransportError):
            await client.call("GET", "http://exa\x00mple/versions", token="t")
