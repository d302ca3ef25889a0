"""CSV import parsing: OCPI field names as header, problems by line and column."""

from __future__ import annotations

import pytest

from edge.auth.token_csv import MAX_ERRORS, TokenCsvError, parse_tokens_csv
from edge.model.tokens import CachedToken, TokenSource
from edge.ocpi.enums import TokenType, WhitelistType
from tests.unit.auth.fakes import T0

OWNER = ("BE", "XYZ")


def parse(text: str) -> list[CachedToken]:
    return parse_tokens_csv(text, name="cards.csv", owner=OWNER, now=T0)


def problems(text: str) -> list[str]:
    with pytest.raises(TokenCsvError) as info:
        parse(text)
    return info.value.problems


def test_defaults_fill_empty_cells() -> None:
    (token,) = parse("uid,group_id\n04a23b1c,\n")
    assert (token.country_code, token.party_id) == OWNER
    assert token.uid == "04a23b1c"
    assert token.type is TokenType.RFID
    assert token.contract_id == "04a23b1c"
    assert token.issuer == "Local"
    assert token.valid
    assert token.whitelist is WhitelistType.ALWAYS
    assert token.group_id is None
    assert token.last_updated == T0
    assert token.source is TokenSource.CLI


def test_every_ocpi_column_is_read() -> None:
    text = (
        "country_code,party_id,uid,type,contract_id,visual_number,issuer,group_id,"
        "valid,whitelist,language,default_profile_type,last_updated\n"
        "DE,TNM,012345678,rfid,DE8ACC12E46L89,DF000-2001-8999-1,TheNewMotion,"
        "DF000-2001-8999,false,allowed_offline,it,GREEN,2018-12-10T17:25:10+01:00\n"
    )
    (t,) = parse(text)
    assert (t.country_code, t.party_id, t.uid, t.type) == (
        "DE",
        "TNM",
        "012345678",
        TokenType.RFID,
    )
    assert (t.contract_id, t.visual_number, t.issuer, t.group_id) == (
        "DE8ACC12E46L89",
        "DF000-2001-8999-1",
        "TheNewMotion",
        "DF000-2001-8999",
    )
    assert not t.valid
    assert t.whitelist is WhitelistType.ALLOWED_OFFLINE
    assert (t.language, t.default_profile_type) == ("it", "GREEN")
    assert t.last_updated.isoformat() == "2018-12-10T16:25:10+00:00"


def test_semicolons_bom_quotes_and_blank_lines() -> None:
    text = '\ufeffuid;issuer\n"AA";"Acme; Inc"\n\nBB;Other\n'
    tokens = parse(text)
    assert [(t.uid, t.issuer) for t in tokens] == [("AA", "Acme; Inc"), ("BB", "Other")]


def test_problems_name_file_line_and_column() -> None:
    text = (
        "uid,whitelist,valid,contract_id,last_updated\n"
        "AA,ALWAYS,yes,,2026-01-01T00:00:00Z\n"
        "BB,SOMETIMES,maybe,,\n"
        "CC,ALLOWED,true,,2026-01-01T00:00:00\n"
        ",ALLOWED,true,,\n"
        f"DD,ALLOWED,true,{'X' * 37},\n"
        "aa,NEVER,true,,\n"
    )
    assert problems(text) == [
        "cards.csv:3: column 2 (whitelist): 'SOMETIMES' is not one of ALWAYS, "
        "ALLOWED, ALLOWED_OFFLINE, NEVER",
        "cards.csv:3: column 3 (valid): 'maybe' is not true or false",
        "cards.csv:4: column 5 (last_updated): '2026-01-01T00:00:00' has no time "
        "zone (add Z for UTC)",
        "cards.csv:5: column 1 (uid): required field is missing",
        "cards.csv:6: column 4 (contract_id): 37 characters, more than the maximum "
        "of 36",
        "cards.csv:7: column 1 (uid): uid aa repeats line 2",
    ]


def test_a_default_that_breaks_a_rule_is_named_as_such() -> None:
    uid = "U" * 36
    assert parse(f"uid\n{uid}\n")[0].contract_id == uid
    with pytest.raises(TokenCsvError) as info:  # an owner too long for OCPI
        parse_tokens_csv("uid\nAA\n", name="c.csv", owner=("BEL", "XYZ"), now=T0)
    assert info.value.problems == [
        "c.csv:2: country_code (default value): 3 characters, more than the maximum "
        "of 2"
    ]


def test_header_problems() -> None:
    assert problems("uid,colour,uid\n1,red,2\n") == [
        "cards.csv:1: column 2 ('colour') is not an OCPI Token field; use "
        "country_code, party_id, uid, type, contract_id, visual_number, issuer, "
        "group_id, valid, whitelist, language, default_profile_type, last_updated",
        "cards.csv:1: column 3 (uid) repeats column 1",
    ]
    assert problems("group_id\nG\n") == ["cards.csv:1: no uid column"]
    assert problems("") == ["cards.csv:1: the file is empty"]


def test_multi_line_cells_keep_line_numbers_right() -> None:
    text = 'uid,issuer\nAA,"two\nlines"\nBB,ok\nCC,ok,extra\n'
    assert problems(text) == [
        "cards.csv:2: column 2 (issuer): must be printable text (no control "
        "characters or line breaks)",
        "cards.csv:5: 3 cells, but the header names 2",
    ]


def test_short_rows_are_padded_but_long_rows_are_refused() -> None:
    assert [t.uid for t in parse("uid,group_id,issuer\nAA\nBB,g,\n")] == ["AA", "BB"]
    assert parse("uid,issuer\nAA,x,,\n")[0].issuer == "x"  # empty extra cells


def test_problem_count_is_capped() -> None:
    text = "uid,valid\n" + "".join(f"U{n},maybe\n" for n in range(200))
    found = problems(text)
    assert len(found) == MAX_ERRORS + 1
    assert found[-1].endswith(f"stopped after {MAX_ERRORS} problems")
