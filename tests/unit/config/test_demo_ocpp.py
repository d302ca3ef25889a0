"""config/demo-ocpp.toml: the demo site plus two OCPP 1.6J chargers (item 8)."""

from __future__ import annotations

from pathlib import Path

from drivers.modbus.profile import ProfileLibrary
from edge.cli import main
from edge.config.loader import load_config

CONFIG = Path(__file__).resolve().parents[3] / "config"
MODELS = ProfileLibrary().ids()


def test_the_ocpp_demo_is_the_demo_plus_two_loopback_chargers():
    demo = load_config(CONFIG / "demo.toml", known_models=MODELS)
    site = load_config(CONFIG / "demo-ocpp.toml", known_models=MODELS)
    # the board part is the demo's, so that both demos show the same site
    assert site.site == demo.site
    assert site.bus == demo.bus
    assert site.evse == demo.evse
    assert site.sessions == demo.sessions
    assert site.token[: len(demo.token)] == demo.token

    ocpp = site.ocpp
    assert ocpp is not None
    assert ocpp.enabled
    assert (ocpp.listen_host, ocpp.listen_port, ocpp.tls) == ("127.0.0.1", 9000, False)
    chargers = {c.identity: c for c in ocpp.charger}
    assert sorted(chargers) == ["CP001", "CP002"]
    for charger in chargers.values():
        assert charger.protocol == "ocpp1.6"
        assert charger.password_file is None  # loopback: no password
    assert ocpp.evse_uids() == ["CP001-1", "CP002-1"]
    assert not set(ocpp.evse_uids()) & {e.uid for e in site.evse}

    card = next(t for t in site.token if t.uid == "04A1B2C3000001")
    assert card.whitelist == "ALLOWED"
    assert card.valid
    # under edge sim the chargers' drivers show the demo cards, one per connector
    assert site.sim is not None
    assert site.sim.generate is not None
    ocpp_cards = site.sim.generate.ocpp_cards
    assert ocpp_cards[0] == "04A1B2C3000001"
    assert set(ocpp_cards) <= {t.uid for t in site.token}


def test_config_check_accepts_the_ocpp_demo(capsys):
    assert main(["config", "check", "--no-paths", str(CONFIG / "demo-ocpp.toml")]) == 0
    assert "OK (2 EVSE" in capsys.readouterr().out
