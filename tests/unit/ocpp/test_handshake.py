"""Handshake admission (edge.ocpp.handshake), including the 1.6 binary key example."""

from __future__ import annotations

import base64

from edge.config.ocpp import OcppCharger
from edge.ocpp.handshake import Admit, Declared, Refusal, Refuse, admit, identity_of


def _charger(identity: str) -> OcppCharger:
    return OcppCharger.model_validate(
        {"identity": identity, "connector": [{"id": 1, "evse_uid": f"{identity}-1"}]}
    )


KEY = bytes.fromhex("0001020304050607FFFFFFFFFFFFFFFFFFFFFFFF")
CHARGERS = {
    "AL1000": Declared(_charger("AL1000"), KEY),
    "OPEN": Declared(_charger("OPEN"), None),
}


def test_the_security_whitepapers_example_header_is_admitted():
    header = "Basic QUwxMDAwOgABAgMEBQYH////////////////"
    assert base64.b64decode(header[6:]) == b"AL1000:" + KEY
    assert admit(CHARGERS, "/AL1000", header) == Admit(CHARGERS["AL1000"].charger)


def test_the_hex_text_of_the_key_is_not_the_password():
    text = base64.b64encode(b"AL1000:0001020304050607FFFFFFFFFFFFFFFFFFFFFFFF").decode()
    verdict = admit(CHARGERS, "/AL1000", f"Basic {text}")
    assert verdict == Refuse(Refusal.UNAUTHORIZED, "wrong password", "AL1000")


def test_paths():
    assert identity_of("/CP001") == "CP001"
    assert identity_of("/RDAM%20123") == "RDAM 123"
    assert identity_of("/CP001?x=1") == "CP001"
    assert identity_of("/ocpp/CP001") is None
    assert identity_of("/") is None
    assert identity_of("CP001") is None
    assert identity_of("/%FF") is None


def test_refusals():
    assert admit(CHARGERS, "/x/y", None) == Refuse(
        Refusal.NOT_FOUND, "path '/x/y' is not /<identity>", None
    )
    assert admit(CHARGERS, "/al1000", None).status is Refusal.NOT_FOUND  # exact id
    assert admit(CHARGERS, "/AL1000", None).status is Refusal.UNAUTHORIZED
    assert admit(CHARGERS, "/AL1000", "Basic").status is Refusal.UNAUTHORIZED
    no_colon = "Basic " + base64.b64encode(b"AL1000").decode()
    assert admit(CHARGERS, "/AL1000", no_colon).status is Refusal.UNAUTHORIZED
    assert isinstance(admit(CHARGERS, "/OPEN", None), Admit)
