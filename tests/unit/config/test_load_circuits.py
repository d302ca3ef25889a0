"""The ``[load]`` tree in the site file: good trees load, hostile ones name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.modbus.profile import ProfileLibrary
from edge.config.loader import ConfigError, load_config, parse_config

MODELS = ProfileLibrary().ids()

BASE = """\
[site]
name = "t"

[[bus]]
id = "rs485"
transport = "rtu"
device = "/dev/ttyUSB0"

[[evse]]
uid = "E1"
max_current_a = 16
meter = { bus = "rs485", unit = 1, model = "eastron_sdm630" }
board = { bus = "rs485", unit = 2, model = "evse_wb" }

[[evse]]
uid = "E2"
phases = 1
meter = { bus = "rs485", unit = 3, model = "eastron_sdm630" }
board = { bus = "rs485", unit = 4, model = "evse_wb" }

[load]
failsafe_current_a = 6

[[load.circuit]]
id = "main"
limit_a = 40
meter = { bus = "rs485", unit = 10, model = "eastron_sdm630" }

[[load.circuit]]
id = "carport"
parent = "main"
limit_a = [25, 25, 20]

[[load.evse]]
uid = "E1"
circuit = "carport"

[[load.evse]]
uid = "E2"
circuit = "carport"
rotation = "L2L3L1"
priority = 3
"""


def issues(text: str) -> list[tuple[str, str]]:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "site.toml", known_models=MODELS)
    return [(i.path, i.message) for i in caught.value.issues]


def edit(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


def test_the_tree_loads_with_its_values() -> None:
    config = parse_config(BASE, "site.toml", known_models=MODELS)
    assert config.load is not None
    main, carport = config.load.circuit
    assert main.limits() == (40, 40, 40)
    assert carport.limits() == (25, 25, 20)
    assert carport.parent == "main"
    assert main.meter is not None
    assert main.meter.unit == 10
    assert [e.rotation for e in config.load.evse] == ["L1L2L3", "L2L3L1"]
    assert config.load.evse[1].priority == 3
    assert config.load.margin_a == 1.0
    assert config.load.meter_timeout_s == 5.0


def test_a_site_without_load_has_none() -> None:
    config = parse_config(BASE.split("[load]")[0], "site.toml", known_models=MODELS)
    assert config.load is None


def test_a_circuit_rated_above_its_parent_is_fine() -> None:
    config = parse_config(edit("limit_a = [25, 25, 20]", "limit_a = 63"), "s.toml")
    assert config.load is not None
    assert config.load.circuit[1].limits() == (63, 63, 63)


@pytest.mark.parametrize(
    ("limit", "path"),
    [
        ("-5", "load.circuit[1].limit_a[0]"),
        ("0", "load.circuit[1].limit_a[0]"),
        ("nan", "load.circuit[1].limit_a[0]"),
        ("inf", "load.circuit[1].limit_a[0]"),
        ("[25, -1, 25]", "load.circuit[1].limit_a[1]"),
        ("[25, 25, inf]", "load.circuit[1].limit_a[2]"),
        ("[25, 25]", "load.circuit[1].limit_a"),
        ('"25"', "load.circuit[1].limit_a"),
    ],
)
def test_a_limit_that_is_not_a_positive_finite_rating(limit: str, path: str) -> None:
    found = issues(edit("limit_a = [25, 25, 20]", f"limit_a = {limit}"))
    assert path in [p for p, _ in found], found


def test_a_cycle_is_an_error_naming_the_loop() -> None:
    text = edit('id = "main"\n', 'id = "main"\nparent = "carport"\n')
    found = issues(text)
    assert len(found) == 1, found
    path, message = found[0]
    assert path == "load.circuit[0].parent"
    assert "main -> carport -> main" in message


def test_a_circuit_that_is_its_own_parent() -> None:
    found = issues(edit('parent = "main"', 'parent = "carport"'))
    assert found == [
        (
            "load.circuit[1].parent",
            "circuits feed each other in a loop (carport -> carport); a tree needs "
            "one circuit without parent at its root",
        )
    ]


def test_an_unknown_parent_and_an_unknown_circuit() -> None:
    found = issues(edit('parent = "main"', 'parent = "mian"'))
    assert found[0][0] == "load.circuit[1].parent"
    assert "unknown circuit 'mian' (circuits: carport, main)" in found[0][1]
    found = issues(edit('circuit = "carport"\n\n', 'circuit = "garage"\n\n'))
    assert [p for p, _ in found] == ["load.evse[0].circuit"]


def test_an_unknown_evse_and_an_evse_on_no_circuit() -> None:
    found = issues(edit('uid = "E2"\ncircuit', 'uid = "E3"\ncircuit'))
    assert ("load.evse[1].uid", "unknown EVSE 'E3' (EVSEs: E1, E2)") in found
    assert any(p == "load.evse" and "'E2' is on no circuit" in m for p, m in found)


def test_an_evse_on_two_circuits() -> None:
    found = issues(edit('uid = "E2"\ncircuit', 'uid = "E1"\ncircuit'))
    assert any(p == "load.evse[1].uid" and "on two circuits" in m for p, m in found), (
        found
    )


def test_duplicate_circuit_ids() -> None:
    found = issues(edit('id = "carport"', 'id = "main"'))
    assert found[0][0] == "load.circuit[1].id"


def test_the_meter_is_checked_like_every_device() -> None:
    found = issues(edit("unit = 10", "unit = 3"))
    assert found == [
        (
            "load.circuit[0].meter.unit",
            "Modbus id 3 on bus 'rs485' is already used by evse[1].meter",
        )
    ]
    found = issues(edit('10, model = "eastron_sdm630"', '10, model = "x"'))
    assert [p for p, _ in found] == ["load.circuit[0].meter.model"]
    found = issues(edit('bus = "rs485", unit = 10', 'bus = "rs", unit = 10'))
    assert [p for p, _ in found] == ["load.circuit[0].meter.bus"]


def test_a_failsafe_the_tree_cannot_carry() -> None:
    # 16 A on E1 (L1 L2 L3) and 16 A on E2 (its L1 on grid L2): L2 carries 32 A,
    # over the carport's 25 A less the 1 A margin.
    found = issues(edit("failsafe_current_a = 6", "failsafe_current_a = 16"))
    assert len(found) == 1, found
    assert found[0][0] == "load.failsafe_current_a"
    assert "puts 32 A on L2 of circuit 'carport'" in found[0][1]


def test_a_failsafe_below_the_minimum_is_refused_but_zero_pauses() -> None:
    found = issues(edit("failsafe_current_a = 6", "failsafe_current_a = 3"))
    assert {p for p, _ in found} == {"load.failsafe_current_a"}
    config = parse_config(edit("failsafe_current_a = 6", "failsafe_current_a = 0"))
    assert config.load is not None
    assert config.load.failsafe_current_a == 0


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ('rotation = "L2L3L1"', 'rotation = "L1L1L2"', "load.evse[1].rotation"),
        ("priority = 3", "priority = 0", "load.evse[1].priority"),
        ("failsafe_current_a = 6", "failsafe_current_a = -1",
         "load.failsafe_current_a"),
        ("failsafe_current_a = 6", "margin_a = nan", "load.margin_a"),
        ("failsafe_current_a = 6", "meter_timeout_s = 0", "load.meter_timeout_s"),
        ("failsafe_current_a = 6", "colour = 1", "load.colour"),
        ('uid = "E1"\ncircuit', 'uid = "E1"\nmin_current_a = 5\ncircuit',
         "load.evse[0].min_current_a"),
        ('uid = "E1"\ncircuit', 'uid = "E1"\nmin_current_a = 20\ncircuit',
         "load.evse[0].min_current_a"),
    ],
)  # fmt: skip
def test_hostile_values_name_their_key(old: str, new: str, path: str) -> None:
    found = issues(edit(old, new))
    assert path in [p for p, _ in found], found


def test_no_circuit_at_all() -> None:
    text = BASE.split("[[load.circuit]]")[0]
    found = issues(text)
    assert ("load.circuit", "missing required key") in found


def test_the_shipped_examples_check(tmp_path: Path) -> None:
    root = Path(__file__).parents[3] / "config"
    for name in ("site.example.toml", "demo.toml", "demo-rs485.toml"):
        load_config(root / name, known_models=MODELS)
    example = load_config(root / "site.example.toml", known_models=MODELS)
    assert example.load is not None
    assert [c.id for c in example.load.circuit] == ["main", "carport"]


def test_config_check_refuses_a_circuit_meter_without_every_phase_current(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from edge.cli.config import check_site

    good = tmp_path / "good.toml"
    good.write_text(BASE)
    assert check_site(str(good), paths=False) is not None
    # a single-phase meter cannot measure a 3-phase grid connection
    bad = tmp_path / "bad.toml"
    bad.write_text(
        BASE.replace(
            'unit = 10, model = "eastron_sdm630"', 'unit = 10, model = "eastron_sdm120"'
        )
    )
    assert check_site(str(bad), paths=False) is None
    err = capsys.readouterr().err
    assert "load.circuit[0].meter.model" in err
    assert "current_l2, current_l3" in err
    assert "1 problem(s)" in err
