"""The MQTT link's settings, from the site file, and its password.

The password is read when the link connects, from ``password_file`` or the
``EDGE_MQTT_PASSWORD`` environment variable: never from the site file or a
command line (``ps`` shows those to every local user).
"""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass

from edge.config.schema import SiteConfig
from edge.config.secret_file import SecretFileError, read_secret_file
from edge.mqtt.topics import Topics

PASSWORD_ENV = "EDGE_MQTT_PASSWORD"


class MqttConfigError(Exception):
    """The link cannot be set up as configured; the message says what to do."""


@dataclass(frozen=True)
class MqttSettings:
    """Everything the link needs, resolved from the site file."""

    host: str
    port: int
    username: str | None
    password_file: str | None
    client_id: str
    topics: Topics
    site_name: str
    discovery: bool
    power_interval_s: float
    keepalive_s: int
    reconnect_max_s: float
    tls: bool
    tls_ca_file: str | None

    @classmethod
    def from_config(cls, config: SiteConfig) -> MqttSettings:
        """The settings of ``config``'s ``[mqtt]`` table (which must be there)."""
        m = config.mqtt
        if m is None:
            raise MqttConfigError("the site file has no [mqtt] table")
        location = config.site.location_id
        return cls(
            host=m.host,
            port=m.port,
            username=m.username,
            password_file=m.password_file,
            client_id=m.client_id or f"edge-{location}",
            topics=Topics(m.topic_prefix or f"edge/{location}", m.discovery_prefix),
            site_name=config.site.name,
            discovery=m.discovery,
            power_interval_s=m.power_interval_s,
            keepalive_s=m.keepalive_s,
            reconnect_max_s=m.reconnect_max_s,
            tls=m.tls,
            tls_ca_file=m.tls_ca_file,
        )

    def password(self) -> str | None:
        """The broker password (None: connect without one)."""
        from_env = os.environ.get(PASSWORD_ENV)
        if self.password_file is not None and from_env is not None:
            raise MqttConfigError(
                f"the MQTT password is given twice (password_file and {PASSWORD_ENV})"
            )
        if self.password_file is not None:
            return _read(self.password_file)
        if from_env is not None:
            return _one_line(from_env, PASSWORD_ENV)
        if self.username is not None:
            raise MqttConfigError(
                f"[mqtt] username {self.username!r} has no password: set "
                f"password_file in [mqtt] or the {PASSWORD_ENV} environment variable"
            )
        return None

    def tls_context(self) -> ssl.SSLContext | None:
        """The TLS context to the broker (None: plain MQTT)."""
        if not self.tls:
            return None
        try:
            context = ssl.create_default_context(cafile=self.tls_ca_file)
        except (OSError, ssl.SSLError) as exc:
            raise MqttConfigError(
                f"[mqtt] tls_ca_file {self.tls_ca_file}: {exc}"
            ) from None
        context.sslsocket_class = _ClosingSSLSocket
        return context


class _ClosingSSLSocket(ssl.SSLSocket):
    """Closes itself when its handshake fails.

    paho-mqtt leaves the socket of a failed TLS handshake (a certificate that
    does not verify) open until garbage collection: one file descriptor per
    reconnection attempt.
    """

    def do_handshake(self, block: bool = False) -> None:
        try:
            super().do_handshake(block)
        except BaseException:
            self.close()
            raise


def _read(path: str) -> str:
    try:
        data = read_secret_file(path, "the MQTT password")
    except SecretFileError as exc:
        raise MqttConfigError(str(exc)) from None
    try:
        return _one_line(data.decode("utf-8"), path)
    except UnicodeDecodeError:
        raise MqttConfigError(f"{path}: the MQTT password is not UTF-8 text") from None


def _one_line(value: str, source: str) -> str:
    password = value.rstrip("\r\n")
    if not password or "\n" in password:
        raise MqttConfigError(f"{source}: the MQTT password must be one non-empty line")
    return password
