"""Card uids appear one way in every log line: ``****`` and the last four."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.log import install_redaction, redact_record
from edge.model.redact import redact_all, redact_text, redact_uid

UID = "0412AB00C3"


def test_redact_uid_keeps_the_last_four_of_long_uids_only() -> None:
    assert redact_uid(UID) == "****00C3"
    assert redact_uid("04A23B1C") == "****3B1C"
    assert redact_uid("04A23B1") == "****"  # too short to show any of it
    assert redact_uid("") == "****"
    assert redact_uid(redact_uid(UID)) == "****00C3"  # idempotent


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # httpx's request line for a real-time authorization
        (
            f"HTTP Request: POST http://127.0.0.1:9/ocpi/emsp/2.2.1/tokens/{UID}"
            '/authorize?type=RFID "HTTP/1.1 404 Not Found"',
            "HTTP Request: POST http://127.0.0.1:9/ocpi/emsp/2.2.1/tokens/****00C3"
            '/authorize?type=RFID "HTTP/1.1 404 Not Found"',
        ),
        # our Tokens receiver, as uvicorn's access log and our server log it
        (
            f'127.0.0.1:5 - "PUT /ocpi/cpo/2.2.1/tokens/DE/MSP/{UID} HTTP/1.1" 200',
            '127.0.0.1:5 - "PUT /ocpi/cpo/2.2.1/tokens/DE/MSP/****00C3 HTTP/1.1" 200',
        ),
        (
            f"GET /ocpi/cpo/2.2.1/tokens/DE/MSP/{UID}?type=RFID -> 2004 unknown",
            "GET /ocpi/cpo/2.2.1/tokens/DE/MSP/****00C3?type=RFID -> 2004 unknown",
        ),
        # payloads (DEBUG) and reprs
        (
            f'[{{"country_code":"DE","uid":"{UID}","contract_id":"DE-MSP-C1234567"}}]',
            '[{"country_code":"DE","uid":"****00C3","contract_id":"****4567"}]',
        ),
        (
            f"LocalToken(uid='{UID}', type='RFID')",
            "LocalToken(uid='****00C3', type='RFID')",
        ),
        (f"token_uid={UID} evse_uid=E1", "token_uid=****00C3 evse_uid=E1"),
        # credentials: hidden entirely
        (
            "{'authorization': 'Token c2VjcmV0LXRva2VuLUM='}",
            "{'authorization': 'Token ****'}",
        ),
        ("Authorization: Token c2VjcmV0LXRva2VuLUM=", "Authorization: Token ****"),
        ("Authorization: Bearer abc.def", "Authorization: Bearer ****"),
        ("IDTAG=0412AB00C3", None),  # keys are matched as written, in lower case
        ('{"idTag": "0412AB00C3"}', '{"idTag": "****00C3"}'),
        ('{"token": "abcdef0123456789", "url": "x"}', '{"token": "****", "url": "x"}'),
        ("token_c='abcdef0123456789'", "token_c='****'"),
        # nothing to hide: unchanged
        (
            "EVSE E1: card refused: unknown token",
            "EVSE E1: card refused: unknown token",
        ),
        ("GET /ocpi/cpo/2.2.1/tokens?offset=0&limit=100", None),
    ],
)
def test_redact_text_finds_uids_in_lines_it_does_not_control(
    line: str, expected: str | None
) -> None:
    assert redact_text(line) == (line if expected is None else expected)


def test_redaction_keeps_the_card_apart_from_its_neighbours() -> None:
    # the evse uid and the party stay readable; only the token uid goes
    line = f"token {UID} of DE*MSP at E1 via /tokens/DE/MSP/{UID}"
    assert redact_text(f"uid={UID}") == "uid=****00C3"
    assert "DE/MSP/****00C3" in redact_text(line)


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    install_redaction()
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    try:
        yield out
    finally:
        logger.removeHandler(handler)


def test_every_record_is_redacted_args_and_traceback(stream: io.StringIO) -> None:
    log = logging.getLogger("test.redaction")
    log.info("POST %s -> %d", f"/tokens/{UID}/authorize", 404)
    try:
        raise ValueError(f"no such token uid={UID}")
    except ValueError:
        log.exception("authorize failed for card=%s", UID)
    text = stream.getvalue()
    assert UID not in text
    assert "POST /tokens/****00C3/authorize -> 404" in text
    assert "ValueError: no such token uid=****00C3" in text
    assert "card=****00C3" in text


def test_arguments_keep_their_shape_when_that_suffices() -> None:
    # uvicorn's access formatter unpacks record.args: they must stay a 5-tuple
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "PUT", f"/ocpi/cpo/2.2.1/tokens/NL/EXA/{UID}", "1.1", 200),
        None,
    )
    redact_record(record)
    assert record.args == (
        "127.0.0.1:5000",
        "PUT",
        "/ocpi/cpo/2.2.1/tokens/NL/EXA/****00C3",
        "1.1",
        200,
    )
    # an object whose repr holds the uid: the message is flattened instead
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "token %r", ({"uid": UID},), None
    )
    redact_record(record)
    assert (record.msg, record.args) == ("token {'uid': '****00C3'}", None)


def test_a_broken_format_is_left_for_logging_to_report() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%d", ("x",), None)
    assert redact_record(record).args == ("x",)


FRAGMENTS = [
    "/tokens/",
    "NL/EXA/",
    "/authorize",
    "uid",
    "token_uid",
    "contract_id",
    "auth_id",
    "id_tag",
    "idTag",
    "visual_number",
    "card",
    "Authorization",
    "authorization",
    "Token ",
    "Bearer ",
    "token_a",
    "token_c",
    '"token"',
    "'token'",
    "=",
    ": ",
    '"',
    "'",
    " ",
    "0412AB00C3",
    "E1",
    "DE",
    "{",
    "}",
    "?type=RFID",
    "evse_uid",
]


@given(st.lists(st.sampled_from(FRAGMENTS), max_size=12))
def test_the_quick_pass_never_skips_a_line_that_needs_redaction(parts) -> None:
    text = "".join(parts)
    assert redact_text(text) == redact_all(text)
