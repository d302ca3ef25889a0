"""The site file's schema: frozen pydantic models, unknown keys rejected.

Every key an installer can write is declared here once. Cross-field rules
(duplicated devices, Modbus id clashes, unknown models) live in
:mod:`edge.config.checks`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from edge.config.circuits import LoadSection
from edge.config.ocpp import OcppSection
from edge.config.web import WebSection
from edge.model.origins import (
    OriginError,
    is_loopback,
    origin_of,
    plain_http_problem,
)


class _Model(BaseModel):
    # No inf or nan anywhere: `device_timeout_s = inf` would switch off the
    # silent-device rule, and nan compares false with every bound.
    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, allow_inf_nan=False
    )


Id = Annotated[str, Field(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9_.*\-]+$")]


class SiteSection(_Model):
    """Who runs the site and where it is (feeds the OCPI Location)."""

    name: str
    country_code: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = "NL"
    party_id: Annotated[str, Field(pattern=r"^[A-Z0-9]{3}$")] = "EXA"
    location_id: Id = "LOC1"
    time_zone: str = "Europe/Amsterdam"
    address: str = "Unknown"
    city: str = "Unknown"
    postal_code: str | None = None
    country: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "NLD"
    latitude: Annotated[float, Field(ge=-90, le=90)] = 52.0
    longitude: Annotated[float, Field(ge=-180, le=180)] = 5.0


class BusSection(_Model):
    """One physical bus: an RS-485 line, a Modbus TCP host, or an RTU gateway."""

    id: Id
    transport: Literal["tcp", "rtu", "rtu-over-tcp"]
    host: str | None = None
    port: Annotated[int, Field(ge=0, le=65535)] | None = None
    device: str | None = None
    """Serial device path for rtu, e.g. /dev/ttyUSB0."""
    baud: Literal[1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200] = 9600
    parity: Literal["N", "E", "O"] = "N"
    stopbits: Literal[1, 2] = 1
    timeout_ms: Annotated[int, Field(ge=10, le=10000)] = 300
    retries: Annotated[int, Field(ge=0, le=5)] = 1


class DeviceRef(_Model):
    """A Modbus device on a bus: which bus, which unit id, which profile."""

    bus: Id
    unit: Annotated[int, Field(ge=1, le=247)]
    """Modbus unit id: 1-247 (0 is broadcast, 248-255 are reserved)."""
    model: str


class ContactorRef(DeviceRef):
    """A relay-module channel that switches the EVSE's contactor.

    The channel's discrete input reads the contactor's mirror (auxiliary NC)
    contact, so that a welded contactor is seen. EVSEs may share one module on
    different channels.
    """

    channel: Annotated[int, Field(ge=1, le=64)]


class RfidSection(_Model):
    """A serial RFID reader at an EVSE."""

    port: str
    kind: Literal["rdm6300", "pn532", "line"] = "rdm6300"
    baud: int | None = None


class EvseSection(_Model):
    """One charge point: its meter, its board and its card reader."""

    uid: Id
    """OCPI evse uid, unique on this site; `edge sessions` shows it."""
    evse_id: str | None = None
    """eMI3 EVSE id, e.g. NL*EXA*E0001*1."""
    max_current_a: Annotated[int, Field(ge=6, le=80)] = 32
    phases: Literal[1, 3] = 3
    voltage_v: Annotated[int, Field(ge=100, le=480)] = 230
    free_vend: bool = False
    meter: DeviceRef
    board: DeviceRef
    contactor: ContactorRef | None = None
    rfid: RfidSection | None = None


class TokenSection(_Model):
    """A token known locally (the OCPI Token fields an installer can set)."""

    uid: Annotated[str, Field(min_length=1, max_length=36)]
    type: Literal["RFID", "APP_USER", "AD_HOC_USER", "OTHER"] = "RFID"
    contract_id: Annotated[str, Field(min_length=1, max_length=36)] | None = None
    """Defaults to the uid."""
    visual_number: Annotated[str, Field(max_length=64)] | None = None
    issuer: Annotated[str, Field(min_length=1, max_length=64)] = "Local"
    group_id: Annotated[str, Field(min_length=1, max_length=36)] | None = None
    valid: bool = True
    whitelist: Literal["ALWAYS", "ALLOWED", "ALLOWED_OFFLINE", "NEVER"] = "ALWAYS"
    language: Annotated[str, Field(pattern=r"^[a-z]{2}$")] | None = None


class AuthSection(_Model):
    """Authorization policy."""

    unknown_offline: Literal["deny", "allow"] = "deny"
    """Cards unknown to the token cache while the eMSP cannot be asked."""
    remote_timeout_s: Annotated[float, Field(gt=0, le=30)] = 2.0
    """How long a real-time authorization may take before the offline rules apply."""
    cache_refresh_s: Annotated[float, Field(gt=0, le=3600)] = 5.0
    """How often to pick up token changes made by ``edge tokens`` (wall seconds)."""


class StoreSection(_Model):
    """Where the SQLite database lives."""

    path: str = "/var/lib/edge/edge.db"


class SessionsSection(_Model):
    """Session timing."""

    checkpoint_interval_s: Annotated[float, Field(gt=0)] = 900.0
    device_timeout_s: Annotated[float, Field(gt=0, le=3600)] = 10.0
    """A meter or board silent for this long puts its EVSE in a safe state."""
    poll_interval_s: Annotated[float, Field(gt=0)] = 1.0
    relay_settle_s: Annotated[float, Field(gt=0, le=600)] = 10.0
    """A board's reported relay may disagree with the command this long before
    its EVSE is out of order (RELAY_WELDED, RELAY_NOT_CLOSED)."""


class ArrivalSection(_Model):
    """One scripted EV visit in a simulated site."""

    ev: Id
    evse: Id
    card: str | None
    arrive_min: Annotated[float, Field(ge=0)]
    """Minutes after the simulation start."""
    depart_min: Annotated[float, Field(gt=0)]
    energy_wanted_wh: Annotated[int, Field(gt=0)]
    battery_wh: Annotated[int, Field(gt=0)] = 60000
    soc_start: Annotated[float, Field(ge=0, le=1)] = 0.3
    max_current_a: Annotated[float, Field(ge=6, le=80)] = 16.0
    phases: Literal[1, 3] = 3


class GenerateSection(_Model):
    """A seeded random arrival schedule for a simulated site."""

    seed: int = 1
    visits_per_evse: Annotated[int, Field(ge=0, le=1000)] = 3
    window_min: Annotated[float, Field(gt=0)] = 240.0
    cards: list[str] = []
    ocpp_cards: list[Annotated[str, Field(min_length=1, max_length=20)]] = []
    """The cards of the drivers at the OCPP chargers' connectors, one per
    connector in site-file order (repeated when fewer): a card in use at one EVSE
    is refused at another (ConcurrentTx). Default: ``cards``, drawn at random."""


class SimGridSection(_Model):
    """The simulated grid connection of a site with ``[load]`` (hal_sim/grid.py)."""

    seed: int = 1
    house_base_a: Annotated[float, Field(ge=0, le=1000)] = 4.0
    house_peak_a: Annotated[float, Field(ge=0, le=1000)] = 12.0
    """Added at the height of the morning and evening peaks."""
    appliance_a: Annotated[float, Field(ge=0, le=1000)] = 10.0
    """An appliance switched on a phase for a minute: up to this much."""
    solar_peak_a: Annotated[float, Field(ge=0, le=1000)] = 0.0
    """Per phase at noon without clouds (0: no PV)."""


class SimSection(_Model):
    """Simulated site settings (used by `edge sim` and `hal-sim serve`)."""

    start: datetime | None = None
    speed: Annotated[float, Field(gt=0)] = 1.0
    host: str = "127.0.0.1"
    arrival: list[ArrivalSection] = []
    generate: GenerateSection | None = None
    meter_start_wh: Annotated[int, Field(ge=0)] = 1_250_000
    card_retry_s: Annotated[float, Field(gt=0, le=3600)] = 45.0
    """Site seconds a simulated driver waits for charging before swiping again."""
    card_attempts: Annotated[int, Field(ge=1, le=100)] = 8
    """Swipes a simulated driver makes before giving up (the first one included)."""
    grid: SimGridSection = SimGridSection()


class OcpiOutage(_Model):
    """A simulated uplink outage (used by `edge sim` only)."""

    start_min: Annotated[float, Field(ge=0)]
    """Minutes after the simulation start."""
    duration_min: Annotated[float, Field(gt=0)]


class OcpiSection(_Model):
    """The OCPI 2.2.1 uplink to a backoffice (this site is the CPO)."""

    enabled: bool = True
    versions_url: str | None = None
    """The backoffice's versions URL; with token_a, the handshake runs at start."""
    token_a: str | None = None
    """CREDENTIALS_TOKEN_A issued by the backoffice (used once, to register)."""
    credentials_path: str = "/var/lib/edge/ocpi-credentials.json"
    """Token C, token B and the endpoints; written with mode 0600."""
    listen_host: str = "127.0.0.1"
    listen_port: Annotated[int, Field(ge=0, le=65535)] = 8091
    """Our versions endpoint, called back with token B during registration."""
    public_url: str | None = None
    """Base URL the backoffice reaches us at (default: http://listen_host:port)."""
    business_name: str = "Site operator"
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "EUR"
    tariff_file: str | None = None
    """An OCPI 2.2.1 Tariff (JSON) to publish and price CDRs with."""
    publish: bool = True
    concurrency: Annotated[int, Field(ge=1, le=256)] = 8
    """Requests in flight at once, across objects (one per object at a time)."""
    request_timeout_s: Annotated[float, Field(gt=0, le=300)] = 10.0
    max_body_bytes: Annotated[int, Field(ge=4096, le=64 << 20)] = 1 << 20
    """Largest request body our server reads (HTTP 413 beyond)."""
    header_timeout_s: Annotated[float, Field(gt=0, le=300)] = 5.0
    """Wall seconds a client has to send a request's line and headers."""
    body_timeout_s: Annotated[float, Field(gt=0, le=600)] = 10.0
    """Wall seconds a client has, after the headers, to send the body."""
    keepalive_timeout_s: Annotated[int, Field(ge=1, le=3600)] = 30
    """Wall seconds an idle kept-alive connection stays open."""
    max_connections: Annotated[int, Field(ge=1, le=1024)] = 32
    """Connections our server holds at once (the idlest is closed for a new one;
    HTTP 503 when none is idle)."""
    listen_backlog: Annotated[int, Field(ge=1, le=4096)] = 16
    """Connections the kernel queues before we accept them."""
    session_patch_interval_s: Annotated[float, Field(ge=0)] = 900.0
    """At most one progress PATCH per active session per interval (site time)."""
    retry_base_s: Annotated[float, Field(gt=0)] = 5.0
    retry_max_s: Annotated[float, Field(gt=0)] = 3600.0
    token_pull_interval_s: Annotated[float, Field(gt=0)] = 6 * 3600.0
    token_page_limit: Annotated[int, Field(ge=1, le=1000)] = 100
    base64_token: bool = True
    """Send `Token base64(token)` (2.2.1); false for peers that want raw tokens."""
    accept_raw_token: bool = True
    """Also accept raw tokens on our endpoints (2.1.1/2.2 peers)."""
    sim_outage: list[OcpiOutage] = []
    insecure: bool = False
    """Allow plain http:// to hosts other than this machine (versions_url,
    public_url, the backoffice's endpoints). Tokens then travel unencrypted: for a
    closed lab only; logged as a WARNING at start."""
    tls_cert_file: str | None = None
    """PEM certificate chain our OCPI server presents (with tls_key_file, it
    serves HTTPS). Read again on SIGHUP, without dropping the server."""
    tls_key_file: str | None = None
    """PEM private key of tls_cert_file (keep it mode 0600)."""
    tls_ca_file: str | None = None
    """PEM CA certificates the backoffice's certificate must chain to (default:
    the system trust store)."""
    allowed_origins: list[str] = []
    """Extra places (scheme://host:port) that command results may be POSTed to,
    besides the origins of the registered backoffice's own endpoints."""

    @property
    def tls(self) -> bool:
        """Our server speaks HTTPS."""
        return self.tls_cert_file is not None and self.tls_key_file is not None

    def transport_problems(self) -> list[tuple[str, str]]:
        """(key, message) for each setting that would send tokens in clear text."""
        out: list[tuple[str, str]] = []
        lab = "or set insecure = true in [ocpi] (a closed lab only)"
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            key = "tls_key_file" if self.tls_key_file is None else "tls_cert_file"
            out.append((f"ocpi.{key}", "give both tls_cert_file and tls_key_file"))
        for key, url in (("versions_url", self.versions_url),
                         ("public_url", self.public_url)):  # fmt: skip
            why = None if url is None else plain_http_problem(url, self.insecure)
            if why is not None:
                out.append((f"ocpi.{key}", f"{url}: {why}; use https:// {lab}"))
        if self.public_url is None and not self.tls:
            host = self.listen_host
            host = f"[{host}]" if ":" in host else host
            why = plain_http_problem(f"http://{host}/", self.insecure)
            if why is not None:
                out.append((
                    "ocpi.listen_host",
                    f"{why} (our server on {self.listen_host} would be reached by "
                    "plain http); give tls_cert_file and tls_key_file, or the "
                    f"https:// public_url of a TLS proxy in front, {lab}",
                ))  # fmt: skip
        for i, url in enumerate(self.allowed_origins):
            try:
                origin_of(url)
            except OriginError as exc:
                out.append((f"ocpi.allowed_origins[{i}]", f"{url}: {exc}"))
                continue
            why = plain_http_problem(url, self.insecure)
            if why is not None:
                out.append((f"ocpi.allowed_origins[{i}]", f"{url}: {why} {lab}"))
        return out


_LEVELS = r"^[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*$"
TopicPrefix = Annotated[str, Field(min_length=1, max_length=128, pattern=_LEVELS)]
"""MQTT topic levels of letters, digits, ``_ . -``: no wildcards, no empty level."""


class MqttSection(_Model):
    """Retained EVSE state, Home Assistant discovery and commands over MQTT.

    The password is never in the site file or on a command line: it is read
    from ``password_file`` or the ``EDGE_MQTT_PASSWORD`` environment variable.
    Commands are taken from whoever may publish on ``<prefix>/evse/+/set/#``:
    restrict that with the broker's ACL (``config/mosquitto/edge.acl``).
    """

    enabled: bool = True
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 1883
    username: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    password_file: str | None = None
    """A file holding the broker password (one line, mode 0600)."""
    client_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    """Default: ``edge-`` and the site's location_id."""
    topic_prefix: TopicPrefix | None = None
    """Default: ``edge/`` and the site's location_id."""
    discovery: bool = True
    """Announce every EVSE to Home Assistant; false removes what was announced."""
    discovery_prefix: TopicPrefix = "homeassistant"
    power_interval_s: Annotated[float, Field(ge=0, le=3600)] = 10.0
    """At most one power (and energy) update per EVSE per interval (site time)."""
    keepalive_s: Annotated[int, Field(ge=5, le=3600)] = 30
    reconnect_max_s: Annotated[float, Field(gt=0, le=3600)] = 60.0
    """Longest wait between reconnection attempts (wall seconds; doubling from 0.5)."""
    tls: bool = False
    """Speak MQTT over TLS (port 8883, usually)."""
    tls_ca_file: str | None = None
    """PEM CA certificates the broker's certificate must chain to (default: the
    system trust store)."""
    insecure: bool = False
    """Allow plain MQTT to a broker off this machine: the password and every
    command travel unencrypted. A closed lab only."""

    @model_validator(mode="after")
    def _transport(self) -> MqttSection:
        if not (self.tls or self.insecure or is_loopback(self.host)):
            raise ValueError(
                f"plain MQTT to {self.host} would send the broker password and the "
                "commands in clear text; set tls = true (and tls_ca_file), or "
                "insecure = true in [mqtt] (a closed lab only)"
            )
        if self.tls_ca_file is not None and not self.tls:
            raise ValueError("tls_ca_file is given but tls = false; set tls = true")
        return self


class SiteConfig(_Model):
    """A whole site file."""

    site: SiteSection
    bus: list[BusSection] = []
    evse: list[EvseSection] = []
    token: list[TokenSection] = []
    auth: AuthSection = AuthSection()
    store: StoreSection = StoreSection()
    sessions: SessionsSection = SessionsSection()
    sim: SimSection | None = None
    ocpi: OcpiSection | None = None
    mqtt: MqttSection | None = None
    load: LoadSection | None = None
    """Load management: circuits, limits and EVSE wiring (edge.config.circuits)."""
    ocpp: OcppSection | None = None
    web: WebSection | None = None
    """Our HTTP server: the local API and the commissioning page (edge.config.web)."""
