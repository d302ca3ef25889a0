"""The [ocpp] section of the site file (edge.config.ocpp)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

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
        ({"charger": [_charger("CP1", "E1", protocol="ocpp2.0.1")]}, "protocol"),
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
