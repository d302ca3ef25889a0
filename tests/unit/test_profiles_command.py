"""``edge profiles`` says which boards have a watchdog and which report their relay."""

from __future__ import annotations

import argparse
import json

from edge.cli.profiles import cmd_profiles


def run(capsys, as_json: bool) -> str:
    assert cmd_profiles(argparse.Namespace(json=as_json)) == 0
    return str(capsys.readouterr().out)


def test_board_lines_name_watchdog_and_relay_feedback(capsys) -> None:
    lines = {line.split()[0]: line for line in run(capsys, False).splitlines()}
    assert lines["alfen_eve"].endswith(
        "(watchdog 60 s: its safe current when the controller dies; no relay feedback)"
    )
    assert lines["evse_wb"].endswith(
        "(no watchdog: opened at shutdown, a crashed controller leaves its setpoint;"
        " reports its relay)"
    )
    assert "watchdog" not in lines["eastron_sdm630"]


def test_json_carries_the_same_facts(capsys) -> None:
    rows = {r["id"]: r for r in json.loads(run(capsys, True))}
    assert (rows["alfen_eve"]["watchdog_s"], rows["alfen_eve"]["reports_relay"]) == (
        60.0,
        False,
    )
    assert rows["bender_cc612"]["reports_relay"] is True
    assert "watchdog_s" not in rows["eastron_sdm630"]


def test_ocpp_charger_models_are_listed_with_what_they_tolerate(capsys) -> None:
    lines = {line.split()[0]: line for line in run(capsys, False).splitlines()}
    assert lines["legrand-greenup"].split()[1] == "ocpp"
    assert lines["legrand-greenup"].endswith("(tolerated: errorCode-Error)")
    rows = {r["id"]: r for r in json.loads(run(capsys, True))}
    assert rows["chargeamps-halo"]["deviations"] == ["unit-Hz"]
