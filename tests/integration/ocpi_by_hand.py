"""The uplink's running OCPI server, reached by hand over a real socket.

Requests go out through :mod:`tests.integration.raw_http`. What the tests of
bad input (``test_ocpi_bad_input``) and of the server's own bounds
(``test_ocpi_bounded``) share: the rig's port and token, a token body, and the
check that nothing was logged as an error.
"""

from __future__ import annotations

import logging
import urllib.parse

import pytest

from edge.uplink.ocpi.serve.routes import PREFIX, VERSION
from tests.integration.ocpi_rig import Rig
from tests.integration.raw_http import token_header

BASE = f"{PREFIX}/{VERSION}".encode()
TOKEN_URL = BASE + b"/tokens/DE/MSP/CARD1"


def port(r: Rig) -> int:
    assert r.uplink is not None
    return int(urllib.parse.urlsplit(r.uplink.server.public_url).port or 0)


def auth(r: Rig) -> list[tuple[bytes, bytes]]:
    assert r.uplink is not None
    assert r.uplink.tokens.current
    return [token_header(r.uplink.tokens.current)]


def no_errors(caplog: pytest.LogCaptureFixture) -> None:
    bad = [x for x in caplog.records if x.levelno >= logging.ERROR or x.exc_info]
    assert bad == [], [x.getMessage() for x in bad]


def token_body(**extra: object) -> dict[str, object]:
    return {
        "country_code": "DE",
        "party_id": "MSP",
        "uid": "CARD1",
        "type": "RFID",
        "contract_id": "DE-MSP-C00000001-X",
        "issuer": "eMSP",
        "valid": True,
        "whitelist": "ALLOWED",
        "last_updated": "2026-03-02T08:00:00Z",
        **extra,
    }
