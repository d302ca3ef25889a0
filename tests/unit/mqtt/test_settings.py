"""The [mqtt] table and the broker password (a file or the environment)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from edge.config.schema import MqttSection, SiteConfig, SiteSection
from edge.mqtt.settings import PASSWORD_ENV, MqttConfigError, MqttSettings


def settings(**mqtt: object) -> MqttSettings:
    config = SiteConfig(
        site=SiteSection(name="Depot", location_id="DEPOT1"),
        mqtt=MqttSection.model_validate(mqtt),
    )
    return MqttSettings.from_config(config)


def test_defaults_follow_the_site() -> None:
    s = settings()
    assert (s.host, s.port, s.client_id) == ("127.0.0.1", 1883, "edge-DEPOT1")
    assert s.topics.prefix == "edge/DEPOT1"
    assert s.topics.discovery_prefix == "homeassistant"
    assert s.tls_context() is None


def test_plain_mqtt_off_this_machine_is_refused() -> None:
    with pytest.raises(ValidationError, match="clear text"):
        MqttSection(host="broker.example.com")
    MqttSection(host="broker.example.com", tls=True)
    MqttSection(host="broker.example.com", insecure=True)
    with pytest.raises(ValidationError, match="set tls = true"):
        MqttSection(tls_ca_file="/etc/ca.pem")
    for bad in ("a/+/b", "a/#", "/a", "a/", "a//b", ""):
        with pytest.raises(ValidationError):
            MqttSection(topic_prefix=bad)


def test_password_from_a_private_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    f = tmp_path / "pw"
    f.write_text("s3cret word\n")
    f.chmod(0o600)
    s = settings(username="edge", password_file=str(f))
    assert s.password() == "s3cret word"
    f.chmod(0o640)  # a service group may read it
    assert s.password() == "s3cret word"
    f.chmod(0o644)
    with pytest.raises(MqttConfigError, match="chmod 600"):
        s.password()
    f.chmod(0o600)
    monkeypatch.setenv(PASSWORD_ENV, "other")
    with pytest.raises(MqttConfigError, match="given twice"):
        s.password()


def test_password_problems_say_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    with pytest.raises(MqttConfigError, match="has no password"):
        settings(username="edge").password()
    assert settings().password() is None  # anonymous (a local test broker)
    missing = settings(password_file=str(tmp_path / "nope"))
    with pytest.raises(MqttConfigError, match="cannot read the MQTT password"):
        missing.password()
    empty = tmp_path / "empty"
    empty.write_text("\n")
    empty.chmod(0o600)
    with pytest.raises(MqttConfigError, match="one non-empty line"):
        settings(password_file=str(empty)).password()
    monkeypatch.setenv(PASSWORD_ENV, "from-env")
    assert settings(username="edge").password() == "from-env"
