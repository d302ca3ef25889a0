"""Charging modes in ``[load]``: per site and per EVSE, and what surplus needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.config.circuits import LoadSection, surplus_roots
from edge.config.loader import parse_config
from edge.load.site import Mode, site_from_config

from .test_load_circuits import BASE, MODELS, edit, issues


def test_the_site_mode_is_the_default_and_an_evse_may_differ() -> None:
    text = edit("failsafe_current_a = 6", 'failsafe_current_a = 6\nmode = "surplus"')
    text = text.replace("priority = 3", 'priority = 3\nmode = "fast"')
    config = parse_config(text, "site.toml", known_models=MODELS)
    assert config.load is not None
    site = site_from_config(config.load, config.evse)
    assert {leaf.uid: leaf.mode for leaf in site.leaves()} == {
        "E1": Mode.SURPLUS,
        "E2": Mode.FAST,
    }
    assert site.rules.surplus_margin_w == 100.0
    assert surplus_roots(config.load) == {"main": [0]}


def test_without_a_mode_every_evse_charges_fast() -> None:
    config = parse_config(BASE, "site.toml", known_models=MODELS)
    assert config.load is not None
    site = site_from_config(config.load, config.evse)
    assert {leaf.mode for leaf in site.leaves()} == {Mode.FAST}
    assert surplus_roots(config.load) == {}


@pytest.mark.parametrize(
    ("old", "new", "path"),
    [
        ("failsafe_current_a = 6", 'mode = "solar"', "load.mode"),
        ("failsafe_current_a = 6", "mode = 1", "load.mode"),
        ("failsafe_current_a = 6", "surplus_margin_w = -1", "load.surplus_margin_w"),
        ("failsafe_current_a = 6", "surplus_margin_w = inf", "load.surplus_margin_w"),
        ("priority = 3", 'mode = "Surplus"', "load.evse[1].mode"),
    ],
)
def test_a_bad_mode_names_its_key(old: str, new: str, path: str) -> None:
    found = issues(edit(old, new))
    assert path in [p for p, _ in found], found


def test_surplus_needs_a_metered_grid_connection() -> None:
    grid_meter = 'meter = { bus = "rs485", unit = 10, model = "eastron_sdm630" }\n'
    text = edit(f"limit_a = 40\n{grid_meter}", "limit_a = 40\n").replace(
        "priority = 3", 'priority = 3\nmode = "surplus_plus_min"'
    )
    found = issues(text)
    assert found == [
        (
            "load.evse[1].mode",
            "'surplus_plus_min' for EVSE 'E2' needs a meter on its grid connection "
            "'main' (load.circuit[0]): the surplus is what it exports",
        )
    ], found
    # the same from the site's mode
    found = issues(text.replace('mode = "surplus_plus_min"', "").replace(
        "failsafe_current_a = 6", 'failsafe_current_a = 6\nmode = "surplus"'
    ))  # fmt: skip
    assert [p for p, _ in found] == ["load.mode"], found


def test_surplus_roots_leave_out_a_broken_tree() -> None:
    # config check runs surplus_roots beside the tree's own checks: no hang on a
    # loop, no KeyError on an unknown circuit
    load = LoadSection.model_validate({
        "mode": "surplus",
        "circuit": [
            {"id": "a", "parent": "b", "limit_a": 40},
            {"id": "b", "parent": "a", "limit_a": 40},
            {"id": "main", "limit_a": 40},
        ],
        "evse": [
            {"uid": "E1", "circuit": "a"},
            {"uid": "E2", "circuit": "nowhere"},
            {"uid": "E3", "circuit": "main"},
        ],
    })  # fmt: skip
    assert surplus_roots(load) == {"main": [2]}


def test_config_check_wants_the_grid_meter_to_read_power(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from edge.cli.config import check_site

    # the Iskra WM3M4 reads every phase's current but no active power
    text = BASE.replace(
        'unit = 10, model = "eastron_sdm630"', 'unit = 10, model = "iskra_wm3m4"'
    )
    fast = tmp_path / "fast.toml"
    fast.write_text(text)
    assert check_site(str(fast), paths=False) is not None
    solar = tmp_path / "solar.toml"
    solar.write_text(text.replace("priority = 3", 'priority = 3\nmode = "surplus"'))
    assert check_site(str(solar), paths=False) is None
    err = capsys.readouterr().err
    assert "load.circuit[0].meter.model" in err
    assert "'iskra_wm3m4' does not read the active power" in err
    assert "1 problem(s)" in err


def test_the_solar_example_checks() -> None:
    from edge.config.loader import load_config

    path = Path(__file__).parents[3] / "config" / "demo-solar.toml"
    config = load_config(path, known_models=MODELS)
    assert config.load is not None
    site = site_from_config(config.load, config.evse)
    assert [leaf.mode for leaf in site.leaves()] == [
        Mode.SURPLUS,
        Mode.SURPLUS_PLUS_MIN,
    ]


PRICES = '\n[load.prices]\nfile = "prices.csv"\n'


def test_a_departure_with_its_energy_and_prices_loads() -> None:
    text = edit("priority = 3", 'priority = 3\ndeparture = "07:30"\nenergy_wh = 20000')
    text = text.replace("failsafe_current_a = 6\n", "failsafe_current_a = 6\n" + PRICES)
    config = parse_config(text, "site.toml", known_models=MODELS)
    assert config.load is not None
    assert config.load.prices is not None
    assert config.load.prices.file == "prices.csv"
    assert config.load.prices.refresh_s == 900.0
    assert config.load.evse[1].departure == "07:30"
    assert config.load.evse[1].energy_wh == 20000


@pytest.mark.parametrize(
    ("new", "prices", "path", "message"),
    [
        ('departure = "07:30"', PRICES, "load.evse[1].energy_wh",
         "departure and energy_wh go together"),
        ("energy_wh = 20000", PRICES, "load.evse[1].departure",
         "departure and energy_wh go together"),
        ('departure = "07:30"\nenergy_wh = 20000', "", "load.evse[1].departure",
         "a departure is planned by price: add [load.prices]"),
        ('departure = "07:30"\nenergy_wh = 20000\nmode = "surplus"', PRICES,
         "load.evse[1].departure", "a 'surplus' car follows the sun"),
        ('departure = "7:30"\nenergy_wh = 20000', PRICES, "load.evse[1].departure",
         "String should match pattern"),
        ('departure = "24:00"\nenergy_wh = 20000', PRICES, "load.evse[1].departure",
         "String should match pattern"),
        ('departure = "07:30"\nenergy_wh = 0', PRICES, "load.evse[1].energy_wh", ""),
        ('departure = "07:30"\nenergy_wh = 2.5', PRICES, "load.evse[1].energy_wh", ""),
    ],
)  # fmt: skip
def test_a_bad_departure_names_its_key(
    new: str, prices: str, path: str, message: str
) -> None:
    text = edit("priority = 3", "priority = 3\n" + new)
    text = text.replace("failsafe_current_a = 6\n", "failsafe_current_a = 6\n" + prices)
    found = dict(issues(text))
    assert path in found, found
    assert message in found[path], found


@pytest.mark.parametrize(
    ("prices", "path"),
    [
        ("\n[load.prices]\n", "load.prices"),  # neither a file nor a url
        ('\n[load.prices]\nfile = ""\n', "load.prices.file"),
        ('\n[load.prices]\nfile = "p.csv"\nrefresh_s = 1\n', "load.prices.refresh_s"),
        ('\n[load.prices]\nfile = "p.csv"\nurl = "x"\n', "load.prices"),  # both
        ('\n[load.prices]\nurl = "http://prices.example/"\n', "load.prices"),
    ],
)
def test_a_bad_prices_section_names_its_key(prices: str, path: str) -> None:
    text = BASE.replace("failsafe_current_a = 6\n", "failsafe_current_a = 6\n" + prices)
    assert path in dict(issues(text))


def test_the_prices_example_checks_and_its_prices_parse() -> None:
    from edge.config.loader import load_config
    from edge.load.prices import read_prices

    root = Path(__file__).parents[3]
    config = load_config(root / "config" / "demo-prices.toml", known_models=MODELS)
    assert config.load is not None
    assert config.load.prices is not None
    assert [e.departure for e in config.load.evse] == ["07:00", "06:30"]
    prices = read_prices(str(root / config.load.prices.file))
    assert len(prices) == 48
