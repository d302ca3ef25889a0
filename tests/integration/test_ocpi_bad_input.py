"""Our OCPI server put on a network: bad input is refused, never a 500.

Every request goes over a real loopback socket to the uplink's running server
(:mod:`tests.integration.raw_http`), as an attacker would send it: odd paths
and methods, page parameters and JSON bodies. The server's own bounds (slow
clients, huge bodies, connection limits): ``test_ocpi_bounded``.
"""

from __future__ import annotations

import json
from pathlib import Path

from edge.uplink.ocpi.serve.answer import MAX_DEPTH
from edge.uplink.ocpi.serve.routes import PREFIX
from tests.integration.ocpi_by_hand import (
    BASE,
    TOKEN_URL,
    auth,
    no_errors,
    port,
    token_body,
)
from tests.integration.ocpi_rig import T0, rig
from tests.integration.raw_http import request, token_header

ODD_PATHS = [
    (b"GET", b"/nowhere"),
    (b"GET", BASE + b"/locations/LOC1/E1/1/extra"),
    (b"GET", PREFIX.encode() + b"/versions/"),  # no redirect to the real path
    (b"DELETE", BASE + b"/locations"),
    (b"POST", BASE + b"/sessions"),
    (b"GET", b"/%FF%FE?%FF=%00"),
]


async def test_unknown_path_or_method_after_the_token_check(tmp_path: Path, caplog):
    async with rig(tmp_path) as r:
        for method, target in ODD_PATHS:
            anonymous = await request(port(r), method, target)
            assert (anonymous.status, anonymous.ocpi_status) == (401, 2000)
            wrong = await request(port(r), method, target, [token_header("guess")])
            assert (wrong.status, wrong.ocpi_status) == (401, 2000)
            known = await request(port(r), method, target, auth(r))
            expected = (405, 2000) if method in (b"DELETE", b"POST") else (404, 2001)
            assert (known.status, known.ocpi_status) == expected, target
            assert known.headers["content-type"] == "application/json"
            assert "timestamp" in known.json()
    no_errors(caplog)


ODD_QUERIES = [
    (b"offset=100000000000000000000", "offset"),
    (b"limit=100000000000000000000", "limit"),
    (b"limit=" + b"9" * 5000, "limit"),
    (b"offset=-1", "offset"),
    (b"offset=%EF%BC%91", "offset"),  # a full-width digit one
    (b"date_from=" + b"2" * 3000, "date_from"),
    (b"date_from=99999-01-01T00:00:00Z", "date_from"),
]


async def test_huge_or_odd_page_parameters_are_2001(tmp_path: Path, caplog) -> None:
    async with rig(tmp_path) as r:
        for query, name in ODD_QUERIES:
            for module in (b"cdrs", b"sessions?date_from=2026-01-01T00:00:00Z&",
                           b"locations?", b"tariffs?"):  # fmt: skip
                target = BASE + b"/" + module + (b"?" if b"?" not in module else b"")
                got = await request(port(r), b"GET", target + query, auth(r))
                assert (got.status, got.ocpi_status) == (200, 2001), got.body
                message = str(got.json()["status_message"])
                assert f"query parameter {name}" in message
                assert len(message) < 200  # the junk is not echoed whole
    no_errors(caplog)


async def test_offset_past_the_end_is_an_empty_page(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        got = await request(port(r), b"GET", BASE + b"/cdrs?offset=2147483647",
                            auth(r))  # fmt: skip
        assert (got.status, got.ocpi_status, got.json()["data"]) == (200, 1000, [])
        assert got.headers["x-total-count"] == "0"


def nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


BAD_BODIES = [  # body, HTTP status (400: not JSON; 200: JSON we do not take), why
    (nested(MAX_DEPTH + 1), 200, "nests deeper than 32 levels"),
    (b"[" * 200_000 + b"]" * 200_000, 200, "nests deeper than 32 levels"),
    (json.dumps(token_body(valid=10**20)).encode(), 200, "out of range"),
    (json.dumps(token_body(valid=-(10**30))).encode(), 200, "out of range"),
    (b'{"valid": 1' + b"0" * 5000 + b"}", 200, "out of range"),
    (b'{"valid": 1e999}', 200, "out of range"),
    (b'{"valid": NaN}', 400, "NaN is not a JSON number"),
    (b'{"uid": "\xff\xfe"}', 400, "not UTF-8 (byte 9)"),
    (b"\xef\xbb\xbf{}", 400, "not JSON"),  # a BOM
    (b"{", 400, "not JSON"),
]


async def test_bad_json_bodies_are_2001(tmp_path: Path, caplog) -> None:
    async with rig(tmp_path) as r:
        for body, status, why in BAD_BODIES:
            for method, target in (
                (b"PUT", TOKEN_URL),
                (b"PATCH", TOKEN_URL),
                (b"POST", BASE + b"/commands/START_SESSION"),
            ):
                got = await request(port(r), method, target, auth(r), body)
                assert (got.status, got.ocpi_status) == (status, 2001), got.body
                assert why in str(got.json()["status_message"])
    no_errors(caplog)


async def test_nesting_within_the_bound_reaches_the_model(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        body = json.dumps(token_body(energy_contract=json.loads(nested(MAX_DEPTH - 2))))
        got = await request(port(r), b"PUT", TOKEN_URL, auth(r), body.encode())
        # the model names the field: the body was parsed, not refused as junk
        assert (got.status, got.ocpi_status) == (200, 2001), got.body
        assert "token.energy_contract" in str(got.json()["status_message"])
        fine = json.dumps(token_body()).encode()
        put = await request(port(r), b"PUT", TOKEN_URL, auth(r), fine)
        assert (put.status, put.ocpi_status) == (201, 1000)
    assert T0  # the rig's site time starts there
