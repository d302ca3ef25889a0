"""A hostile tester's site files: each refused with file, line, key path and why.

Every snippet here passed ``edge config check`` once and then made ``edge run``
die with a traceback or run unsafely. The check is the one ``edge run`` makes
first (:func:`edge.cli.config.site_checks`), on real files in ``tmp_path``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from drivers.modbus.profile import ProfileLibrary
from edge.cli.config import site_checks
from edge.config.loader import (
    MAX_SITE_BYTES,
    ConfigError,
    ConfigIssue,
    decode_site_bytes,
    load_config,
    parse_config,
)

MODELS = ProfileLibrary().ids()

BASE = """\
[site]
name = "t"
time_zone = "Europe/Amsterdam"

[[bus]]
id = "rs485"
transport = "rtu"
device = "/dev/ttyUSB0"

[[evse]]
uid = "E1"
meter = { bus = "rs485", unit = 1, model = "eastron_sdm630" }
board = { bus = "rs485", unit = 2, model = "evse_wb" }
rfid = { port = "/dev/ttyS1", kind = "rdm6300", baud = 9600 }

[[evse]]
uid = "E2"
meter = { bus = "rs485", unit = 3, model = "eastron_sdm630" }
board = { bus = "rs485", unit = 4, model = "evse_wb" }

[auth]
remote_timeout_s = 2.0

[sessions]
device_timeout_s = 10
poll_interval_s = 1.0

[store]
path = "TMP/var/edge.db"

[ocpi]
credentials_path = "TMP/var/ocpi.json"
retry_base_s = 5
request_timeout_s = 10
"""

TARIFF = {
    "country_code": "NL",
    "party_id": "EXA",
    "id": "T1",
    "currency": "EUR",
    "elements": [
        {"price_components": [{"type": "ENERGY", "price": 0.25, "step_size": 1}]}
    ],
    "last_updated": "2026-01-01T00:00:00Z",
}


def site(tmp_path: Path, old: str = "", new: str = "") -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1).replace("TMP", str(tmp_path))


def issues(text: str) -> list[ConfigIssue]:
    with pytest.raises(ConfigError) as err:
        parse_config(text, "site.toml", MODELS, more_checks=site_checks(None))
    return err.value.issues


def test_the_base_site_is_valid(tmp_path: Path) -> None:
    parse_config(site(tmp_path), "site.toml", MODELS, more_checks=site_checks(None))


TARIFF_LINE = '[ocpi]\ncredentials_path = "TMP/var/ocpi.json"\ntariff_file = "TARIFF"'
OCPI = '[ocpi]\ncredentials_path = "TMP/var/ocpi.json"'

# (old, new, key path, line, fragment of the message)
CASES = [
    # a serial port at -5 baud: pyserial raised ValueError in edge run
    (
        "baud = 9600 }",
        "baud = -5 }",
        "evse[0].rfid.baud",
        14,
        "-5 is not a serial baud",
    ),
    ("baud = 9600 }", "baud = 12345 }", "evse[0].rfid.baud", 14, "not a serial baud"),
    # inf switched the silent-device rule off; nan passed every bound
    (
        "device_timeout_s = 10",
        "device_timeout_s = inf",
        "sessions.device_timeout_s",
        25,
        "finite number",
    ),
    (
        "device_timeout_s = 10",
        "device_timeout_s = nan",
        "sessions.device_timeout_s",
        25,
        "finite number",
    ),
    (
        "device_timeout_s = 10",
        "device_timeout_s = 1e9",
        "sessions.device_timeout_s",
        25,
        "less than or equal to 3600",
    ),
    (
        "remote_timeout_s = 2.0",
        "remote_timeout_s = inf",
        "auth.remote_timeout_s",
        22,
        "finite number",
    ),
    (
        "request_timeout_s = 10",
        "request_timeout_s = -inf",
        "ocpi.request_timeout_s",
        34,
        "finite number",
    ),
    (
        "retry_base_s = 5",
        "retry_base_s = nan",
        "ocpi.retry_base_s",
        33,
        "finite number",
    ),
    (
        "poll_interval_s = 1.0",
        "poll_interval_s = 10.0",
        "sessions.poll_interval_s",
        26,
        "not shorter than device_timeout_s",
    ),
    (
        "retry_base_s = 5",
        "retry_base_s = 7200",
        "ocpi.retry_base_s",
        33,
        "longer than retry_max_s",
    ),
    # Modbus ids 248-255 are reserved, 0 is broadcast
    ("unit = 1,", "unit = 248,", "evse[0].meter.unit", 12, "less than or equal to 247"),
    ("unit = 2,", "unit = 255,", "evse[0].board.unit", 13, "less than or equal to 247"),
    ("unit = 3,", "unit = 0,", "evse[1].meter.unit", 18, "greater than or equal to 1"),
    # time zones the system does not know (and one that is a path)
    (
        '"Europe/Amsterdam"',
        '"Mars/Olympus"',
        "site.time_zone",
        3,
        "unknown time zone 'Mars/Olympus'",
    ),
    (
        '"Europe/Amsterdam"',
        '"../../etc/passwd"',
        "site.time_zone",
        3,
        "unknown time zone",
    ),
    # one EVSE to OCPI, two to us
    ('uid = "E2"', 'uid = "e1"', "evse[1].uid", 17, "'e1' differs from 'E1'"),
    (
        'device = "/dev/ttyUSB0"\n',
        'device = "/dev/ttyUSB0"\n[[bus]]\nid = "RS485"\ntransport = "tcp"\n'
        'host = "10.0.0.9"\nport = 502\n',
        "bus[1].id",
        10,
        "'RS485' differs from 'rs485' (bus[0].id) only in case",
    ),
    # a Modbus TCP server on port 0
    (
        'device = "/dev/ttyUSB0"\n',
        'device = "/dev/ttyUSB0"\n[[bus]]\nid = "gw"\ntransport = "tcp"\n'
        'host = "10.0.0.9"\nport = 0\n',
        "bus[1].port",
        13,
        "port 0 is not a Modbus server",
    ),
    # the files it names
    (
        OCPI,
        TARIFF_LINE.replace("TARIFF", "/nonexistent/tariff.json"),
        "ocpi.tariff_file",
        33,
        "cannot read /nonexistent/tariff.json",
    ),
    (
        OCPI,
        TARIFF_LINE.replace("TARIFF", "/dev/zero"),
        "ocpi.tariff_file",
        33,
        "/dev/zero is not a regular file",
    ),
    (
        OCPI,
        TARIFF_LINE.replace("TARIFF", "TMP/bad.json"),
        "ocpi.tariff_file",
        33,
        "tariff.elements: required field is missing",
    ),
    (
        OCPI,
        TARIFF_LINE.replace("TARIFF", "TMP/other.json"),
        "ocpi.tariff_file",
        33,
        "tariff of DE*ABC, but this site is NL*EXA",
    ),
    (
        OCPI,
        TARIFF_LINE.replace("TARIFF", "TMP/latin1.json"),
        "ocpi.tariff_file",
        33,
        "is not UTF-8 text (byte 0xE9 at offset",
    ),
    (
        'path = "TMP/var/edge.db"',
        'path = "TMP/afile/edge.db"',
        "store.path",
        29,
        "afile is not a directory",
    ),
    ('path = "TMP/var/edge.db"', 'path = "TMP"', "store.path", 29, "is a directory"),
    (
        'credentials_path = "TMP/var/ocpi.json"',
        'credentials_path = "TMP/afile/x/c.json"',
        "ocpi.credentials_path",
        32,
        "afile is not a directory",
    ),
]


@pytest.mark.parametrize(("old", "new", "path", "line", "fragment"), CASES)
def test_hostile_snippet_is_refused_with_line_and_key(
    tmp_path: Path, old: str, new: str, path: str, line: int, fragment: str
) -> None:
    (tmp_path / "afile").write_text("not a directory")
    no_elements = {k: v for k, v in TARIFF.items() if k != "elements"}
    (tmp_path / "bad.json").write_text(json.dumps(no_elements))
    other = TARIFF | {"country_code": "DE", "party_id": "ABC"}
    (tmp_path / "other.json").write_text(json.dumps(other))
    (tmp_path / "latin1.json").write_bytes(b'{"id": "caf\xe9"}')
    found = issues(site(tmp_path, old, new))
    assert [(i.path, i.line) for i in found] == [(path, line)], found
    assert fragment in found[0].message
    assert str(found[0]).startswith(f"site.toml:{line}: {path}: ")


def test_emi3_evse_ids_differing_only_in_case(tmp_path: Path) -> None:
    text = site(tmp_path, 'uid = "E1"', 'uid = "E1"\nevse_id = "NL*EXA*E1"')
    text = text.replace('uid = "E2"', 'uid = "E2"\nevse_id = "nl*exa*e1"')
    [issue] = issues(text)
    assert (issue.path, issue.line) == ("evse[1].evse_id", 19)
    assert "'nl*exa*e1' differs from 'NL*EXA*E1' (evse[0].evse_id) only in" in (
        issue.message
    )


@pytest.mark.parametrize("uid", ["04 A2 3B", "café", "tab\there", "x\u00a0y"])
def test_token_ids_are_printable_ascii(tmp_path: Path, uid: str) -> None:
    text = site(tmp_path) + f"[[token]]\nuid = {json.dumps(uid)}\n"
    [issue] = issues(text)
    assert (issue.path, issue.line) == ("token[0].uid", 36)
    assert "printable ASCII without spaces" in issue.message


def test_a_good_tariff_file_passes(tmp_path: Path) -> None:
    (tmp_path / "t.json").write_text(json.dumps(TARIFF))
    text = site(tmp_path, OCPI, TARIFF_LINE.replace("TARIFF", "TMP/t.json"))
    parse_config(text, "site.toml", MODELS, more_checks=site_checks(None))


def test_simulated_sites_are_checked_too(tmp_path: Path) -> None:
    text = site(tmp_path) + (
        "[sim]\nstart = 2026-03-02T07:00:00\n"
        '[[sim.arrival]]\nev = "a"\nevse = "E1"\ncard = "04A00003"\n'
        "arrive_min = 1\ndepart_min = 9\nenergy_wanted_wh = 1000\n"
    )
    found = {(i.path, i.line): i.message for i in issues(text)}
    assert "give an offset or Z" in found[("sim.start", 36)], found
    assert "sends 10 hex digits" in found[("sim.arrival[0].card", 40)], found


def test_all_problems_at_once(tmp_path: Path) -> None:
    text = site(tmp_path, "unit = 1,", "unit = 250,").replace(
        "Europe/Amsterdam", "Mars/Olympus"
    )
    paths = {
        i.path
        for i in issues(text.replace("device_timeout_s = 10", "device_timeout_s = inf"))
    }
    assert {"evse[0].meter.unit", "sessions.device_timeout_s"} <= paths
    # once the schema holds, the cross-key and file rules are reported together
    text = site(tmp_path, '"Europe/Amsterdam"', '"Mars/Olympus"').replace(
        f"{tmp_path}/var/edge.db", "/dev/null/edge.db"
    )
    assert {i.path for i in issues(text)} == {"site.time_zone", "store.path"}


# ---- the file itself ------------------------------------------------------------


def test_non_utf8_is_reported_with_offset_and_line() -> None:
    data = b'[site]\nname = "caf\xe9"\n'
    with pytest.raises(ConfigError) as err:
        decode_site_bytes(data, "site.toml")
    [issue] = err.value.issues
    assert issue.line == 2
    assert str(issue) == (
        "site.toml:2: not UTF-8 text: byte 0xE9 at offset 18 (line 2, column 12); "
        "save the file as UTF-8"
    )


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "site.toml"
    path.write_bytes(b"\xef\xbb\xbf" + site(tmp_path).encode())
    assert load_config(path, MODELS).site.name == "t"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a = " + "[" * 3000 + "]" * 3000, "nested too deeply"),
        ("a = " + "{b = " * 3000 + "1" + "}" * 3000, "nested too deeply"),
        ("a = " + "1" * 5000, "Exceeds the limit"),
    ],
)
def test_parser_limits_are_messages(text: str, fragment: str) -> None:
    found = issues(text)
    assert len(found) == 1
    assert fragment in found[0].message


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda p: Path("/dev/zero"), "not a regular file (a character device)"),
        (lambda p: p, "not a regular file (a directory)"),
        (
            lambda p: (os.mkfifo(p / "fifo"), p / "fifo")[1],
            "not a regular file (a pipe)",
        ),
        (
            lambda p: (
                (p / "big.toml").write_bytes(b"#" * (MAX_SITE_BYTES + 1)),
                p / "big.toml",
            )[1],
            "too large for a site file",
        ),
        (lambda p: p / "missing.toml", "cannot read: No such file or directory"),
    ],
)
def test_what_is_not_a_site_file_is_refused_without_reading_it(
    tmp_path: Path, make, fragment: str
) -> None:
    path = make(tmp_path)
    with pytest.raises(ConfigError) as err:
        load_config(path, MODELS)
    [issue] = err.value.issues
    assert issue.file == str(path)
    assert fragment in issue.message
