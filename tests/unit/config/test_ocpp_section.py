"""The [ocpp] section of the site file (edge.config.ocpp)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from edge.config.loader import ConfigError, parse_config
from edge.config.schema import SiteConfig


def _site(ocpp: dict) -> SiteConfig:
    return SiteConfig.model_validate({"site": {"name": "x"}, "ocpp": ocpp})


def _charger(identity: str, uid: str, **extra: object) -> dict:
    return {"identity": identity, "connector": [{"id": 1, "evse_uid": uid}], **extra}


def test_a_loopback_site_needs_no_password_or_tls():
    site = _site({"charger": [_charger("CP001", "E1"), _charger("CP002", "E2")]})
    assert site.ocpp is not None
    assert site.ocpp.listen_port == 9000
    assert site.ocpp.evse_uids() == ["E1", "E2"]
    assert site.ocpp.charger[0].protocol == "ocpp1.6"


def test_a_charger_may_speak_201():
    site = _site({"charger": [_charger("CS1", "E1", protocol="ocpp2.0.1")]})
    assert site.ocpp is not None
    assert site.ocpp.charger[0].protocol == "ocpp2.0.1"


@pytest.mark.parametrize(
    ("ocpp", "message"),
    [
        ({"listen_host": "192.0.2.10", "charger": []}, "plain ws://"),
        (
            {
                "listen_host": "192.0.2.10",
                "tls_cert_file": "c",
                "tls_key_file": "k",
                "charger": [_charger("CP001", "E1")],
            },
            "charger CP001 has no password_file",
        ),
        ({"tls_cert_file": "c"}, "give both tls_cert_file and tls_key_file"),
        ({"charger": [_charger("CP1", "E1"), _charger("cp1", "E2")]}, "declared twice"),
        ({"charger": [_charger("CP1", "E1"), _charger("CP2", "E1")]}, "evse_uid E1"),
        (
            {
                "charger": [
                    {
                        "identity": "CP1",
                        "connector": [
                            {"id": 1, "evse_uid": "E1"},
                            {"id": 1, "evse_uid": "E2"},
                        ],
                    }
                ]
            },
            "connector id is given twice",
        ),
        ({"charger": [_charger("CP 1", "E1")]}, "identity"),
        ({"charger": [_charger("CP1", "E1", protocol="ocpp2.1")]}, "protocol"),
        (
            {
                "charger": [
                    _charger(
                        "CS1",
                        "E1",
                        protocol="ocpp2.0.1",
                        password_file="/p",
                        password_format="hex",
                    )
                ]
            },
            "BasicAuthPassword",
        ),
        ({"charger": [_charger("CP1", "E1", password="x")]}, "password"),
        ({"charger": [{"identity": "CP1", "connector": []}]}, "connector"),
    ],
)
def test_refused(ocpp, message):
    with pytest.raises(ValidationError, match=message):
        _site(ocpp)


def test_off_loopback_with_tls_and_passwords_or_insecure():
    secured = {
        "listen_host": "192.0.2.10",
        "tls_cert_file": "c",
        "tls_key_file": "k",
        "charger": [_charger("CP001", "E1", password_file="/etc/edge/cp1")],
    }
    assert _site(secured).ocpp.tls  # type: ignore[union-attr]
    assert _site({"listen_host": "10.0.0.1", "insecure": True}).ocpp is not None


SITE = """\
[site]
name = "t"

[[bus]]
id = "rs485"
transport = "rtu"
device = "/dev/ttyUSB0"

[[evse]]
uid = "E1"
meter = { bus = "rs485", unit = 1, model = "eastron_sdm630" }
board = { bus = "rs485", unit = 2, model = "evse_wb" }

[ocpp]
heartbeat_interval_s = 60

[[ocpp.charger]]
identity = "CP001"
password_file = "/etc/edge/cp001.password"

[[ocpp.charger.connector]]
id = 1
evse_uid = "CP001-1"
max_current_a = 16
phases = 1

[[ocpp.charger.connector]]
id = 2
evse_uid = "%s"
"""


def test_a_site_file_with_chargers_beside_board_evses():
    site = parse_config(SITE % "CP001-2")
    assert site.ocpp is not None
    connector = site.ocpp.charger[0].connector[0]
    assert (connector.max_current_a, connector.phases) == (16, 1)
    assert site.ocpp.charger[0].connector[1].max_current_a == 32


def test_a_connector_may_not_be_a_board_evse():
    with pytest.raises(ConfigError) as err:
        parse_config(SITE % "E1")
    (issue,) = err.value.issues
    assert issue.path == "ocpp.charger[0].connector[1].evse_uid"
    assert "also an [[evse]]" in issue.message
    assert issue.line is not None


def test_schema_errors_name_the_key():
    with pytest.raises(ConfigError) as err:
        parse_config(
            SITE.replace("heartbeat_interval_s = 60", "heartbeat_interval_s = 1") % "X"
        )
    assert err.value.issues[0].path == "ocpp.heartbeat_interval_s"
