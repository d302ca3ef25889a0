"""Every kind of site-file error is reported with its file, line and key path."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.modbus.profile import ProfileLibrary
from edge.cli import main
from edge.config.loader import ConfigError, load_config, parse_config

DEMO = Path(__file__).resolve().parents[3] / "config" / "demo.toml"
EXAMPLE = Path(__file__).resolve().parents[3] / "config" / "site.example.toml"
MODELS = ProfileLibrary().ids()

BASE = """\
[site]
name = "t"

[[bus]]
id = "rs485"
transport = "rtu"
device = "/dev/ttyUSB0"
baud = 9600

[[evse]]
uid = "E1"
meter = { bus = "rs485", unit = 1, model = "eastron_sdm630" }
board = { bus = "rs485", unit = 2, model = "evse_wb" }

[[evse]]
uid = "E2"
meter = { bus = "rs485", unit = 3, model = "eastron_sdm630" }
board = { bus = "rs485", unit = 4, model = "evse_wb" }
"""


def issues(text: str) -> list[tuple[int | None, str, str]]:
    with pytest.raises(ConfigError) as err:
        parse_config(text, "site.toml", MODELS)
    return [(i.line, i.path, i.message) for i in err.value.issues]


def test_shipped_site_files_are_valid() -> None:
    assert len(load_config(DEMO, MODELS).evse) == 2
    assert load_config(EXAMPLE, MODELS).bus


def test_wrong_type_names_key_and_line() -> None:
    found = issues(BASE.replace("baud = 9600", 'baud = "fast"'))
    assert found[0][:2] == (8, "bus[0].baud")


def test_unknown_key_is_rejected_with_its_line() -> None:
    found = issues(BASE.replace('uid = "E2"', 'uid = "E2"\nmax_curent_a = 16'))
    assert found[0][:2] == (17, "evse[1].max_curent_a")
    assert "unknown key" in found[0][2]


def test_missing_device_is_reported() -> None:
    text = BASE.replace('board = { bus = "rs485", unit = 4, model = "evse_wb" }\n', "")
    found = issues(text)
    assert found[0][1] == "evse[1].board"
    assert "missing" in found[0][2]


def test_duplicated_evse_is_reported() -> None:
    found = issues(BASE.replace('uid = "E2"', 'uid = "E1"'))
    assert found[0][1] == "evse[1].uid"
    assert "defined twice" in found[0][2]
    assert found[0][0] == 16


def test_modbus_id_clash_on_one_bus() -> None:
    found = issues(BASE.replace("unit = 3,", "unit = 1,"))
    assert found[0][1] == "evse[1].meter.unit"
    assert "already used by evse[0].meter" in found[0][2]
    assert found[0][0] == 17


def test_same_unit_on_different_buses_is_fine() -> None:
    text = (
        BASE
        + '\n[[bus]]\nid = "b2"\ntransport = "tcp"\nhost = "10.0.0.2"\nport = 502\n'
    )
    text = text.replace(
        'meter = { bus = "rs485", unit = 3', 'meter = { bus = "b2", unit = 1'
    )
    assert parse_config(text, "site.toml", MODELS).evse[1].meter.bus == "b2"


def test_unknown_model_and_unknown_bus() -> None:
    text = BASE.replace('unit = 2, model = "evse_wb"', 'unit = 2, model = "evse_xyz"')
    text = text.replace('bus = "rs485", unit = 3', 'bus = "rs486", unit = 3')
    found = {path: msg for _, path, msg in issues(text)}
    assert "unknown EVSE board model 'evse_xyz'" in found["evse[0].board.model"]
    assert "unknown bus 'rs486'" in found["evse[1].meter.bus"]


def test_every_problem_is_reported_at_once() -> None:
    text = BASE.replace("baud = 9600", "baud = 9601").replace(
        'uid = "E2"', 'uid = "E 2"'
    )
    paths = {path for _, path, _ in issues(text)}
    assert {"bus[0].baud", "evse[1].uid"} <= paths


def test_bad_toml_names_the_line() -> None:
    found = issues(BASE.replace('name = "t"', "name = "))
    assert found[0][0] == 2
    assert "not valid TOML" in found[0][2]


def test_cli_check_prints_errors_and_no_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site.toml"
    site.write_text(BASE.replace("unit = 3,", "unit = 1,"))
    assert main(["config", "check", str(site)]) == 2
    err = capsys.readouterr().err
    assert f"{site}:17: evse[1].meter.unit: Modbus id 1" in err
    assert "Traceback" not in err


def test_cli_check_accepts_the_demo(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "check", str(DEMO)]) == 0
    assert "OK (2 EVSE" in capsys.readouterr().out


RELAY = (
    '\ncontactor = { bus = "rs485", unit = 9, model = "waveshare_modbus_rtu_io_8ch", '
    "channel = 1 }"
)


def test_evses_share_a_relay_module_on_different_channels() -> None:
    text = BASE.replace(
        'model = "evse_wb" }\n\n', 'model = "evse_wb" }' + RELAY + "\n\n", 1
    )
    text = text.rstrip("\n") + RELAY.replace("channel = 1", "channel = 2") + "\n"
    config = parse_config(text, "site.toml", MODELS)
    assert [e.contactor.channel for e in config.evse if e.contactor] == [1, 2]


def test_relay_channel_used_twice_or_unit_clash() -> None:
    text = BASE.replace(
        'model = "evse_wb" }\n\n', 'model = "evse_wb" }' + RELAY + "\n\n", 1
    )
    twice = text.rstrip("\n") + RELAY + "\n"
    assert issues(twice)[0][1:] == (
        "evse[1].contactor.channel",
        "channel 1 of relay 9 on bus 'rs485' is already used",
    )
    clash = text.rstrip("\n") + RELAY.replace("unit = 9", "unit = 3") + "\n"
    assert "already used by evse[1].meter" in issues(clash)[0][2]
