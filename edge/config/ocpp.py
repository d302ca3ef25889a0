"""The ``[ocpp]`` section: our OCPP central system and the chargers it accepts.

Each charger is declared with its charge point identity (the last segment of
the URL it connects to, ``ws(s)://<host>:<port>/<identity>``), the OCPP version
it speaks, the file holding its Basic-auth password (security profile 1; never
the password itself, neither here nor on a command line), and which EVSE uids
of the site's location its connectors are (one OCPI EVSE per OCPP connector).

Off this machine the server needs TLS (``tls_cert_file``/``tls_key_file``, the
same PEM pair the OCPI server can use) and every charger a password, unless
``insecure = true`` (a closed lab only).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from edge.model.origins import is_loopback


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, strict=True, allow_inf_nan=False
    )


OcppProtocol = Literal["ocpp1.6", "ocpp2.0.1"]
"""The OCPP-J versions we serve, named by their websocket subprotocol."""

PasswordFormat = Literal["text", "hex"]
"""How ``password_file`` holds the password: ``text``, as the charger sends it
(UTF-8, one line); ``hex``, an OCPP 1.6 ``AuthorizationKey`` as hex digits, whose
raw bytes the charger sends."""


Identity = Annotated[
    str, Field(min_length=1, max_length=48, pattern=r"^[A-Za-z0-9*_=:+|@.\-]+$")
]
"""A charge point identity: URL-safe characters, at most 48 (OCPP 2.0.1's limit)."""

EvseUid = Annotated[
    str, Field(min_length=1, max_length=36, pattern=r"^[A-Za-z0-9_.*\-]+$")
]


class OcppConnector(_Model):
    """One connector of a charger, and the site's EVSE uid it is."""

    id: Annotated[int, Field(ge=1, le=64)]
    """The charger's connectorId in 1.6 (1..N; 0 is the charger as a whole); in
    2.0.1 its ``evseId`` (1..N), whose connectors are this one site EVSE."""
    evse_uid: EvseUid
    """The OCPI EVSE uid this connector is, unique on the site."""
    evse_id: Annotated[str, Field(min_length=1, max_length=48)] | None = None
    """Its eMI3 EVSE id, e.g. NL*EXA*E0101*1 (OCPI's ``evse_id``), if it has one."""
    max_current_a: Annotated[int, Field(ge=6, le=80)] = 32
    """The most it may offer, per phase (what a charging profile may ask)."""
    phases: Literal[1, 3] = 3
    voltage_v: Annotated[int, Field(ge=100, le=480)] = 230
    """Line-to-neutral voltage (to turn a power limit into a current)."""


class OcppCharger(_Model):
    """A charger allowed to connect."""

    identity: Identity
    protocol: OcppProtocol = "ocpp1.6"
    password_file: str | None = None
    """A file (mode 0600) holding its Basic-auth password; required off loopback."""
    password_format: PasswordFormat = "text"
    model: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_\-]{0,63}$")] | None = None
    """Its model profile (``edge/ocpp/charger_models/<model>.toml``): the
    model's known deviations from OCPP, tolerated and counted; None: none."""
    failsafe_current_a: Annotated[float, Field(ge=0, le=80)] = 6.0
    """Per phase, what the whole charger may draw once our charging profiles
    lapse (a permanent ChargePointMaxProfile): the controller is dead or cut off.
    6 A keeps one car charging at the IEC 61851 minimum; 0 stops them all."""
    connector: Annotated[list[OcppConnector], Field(min_length=1)]

    @model_validator(mode="after")
    def _connectors_once(self) -> OcppCharger:
        ids = [c.id for c in self.connector]
        if len(set(ids)) != len(ids):
            raise ValueError(f"charger {self.identity}: a connector id is given twice")
        if self.protocol == "ocpp2.0.1" and self.password_format == "hex":
            raise ValueError(
                f"charger {self.identity}: an OCPP 2.0.1 station's password "
                "(SecurityCtrlr.BasicAuthPassword) is text, not a 1.6 "
                'AuthorizationKey in hex; set password_format = "text"'
            )
        return self


class OcppSection(_Model):
    """Our OCPP central system (OCPP-J over websockets)."""

    enabled: bool = True
    listen_host: str = "127.0.0.1"
    listen_port: Annotated[int, Field(ge=0, le=65535)] = 9000
    heartbeat_interval_s: Annotated[int, Field(ge=10, le=86400)] = 300
    """The interval a charger is given in BootNotification's answer."""
    call_timeout_s: Annotated[float, Field(gt=0, le=300)] = 30.0
    """How long a charger has to answer one of our calls (site seconds)."""
    profile_lease_s: Annotated[int, Field(ge=30, le=3600)] = 120
    """How long the charging profile above each charger's failsafe lasts unless
    renewed (site seconds; renewed every third of it): a dead controller leaves
    the charger at its ``failsafe_current_a`` this long after its last word."""
    max_message_bytes: Annotated[int, Field(ge=4096, le=16 << 20)] = 1 << 20
    tls_cert_file: str | None = None
    """PEM certificate chain our server presents (wss://); with tls_key_file."""
    tls_key_file: str | None = None
    insecure: bool = False
    """Allow ws:// and chargers without a password off this machine (a lab only)."""
    charger: list[OcppCharger] = []

    @property
    def tls(self) -> bool:
        """Our server speaks wss://."""
        return self.tls_cert_file is not None and self.tls_key_file is not None

    @model_validator(mode="after")
    def _rules(self) -> OcppSection:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("give both tls_cert_file and tls_key_file, or neither")
        seen: dict[str, str] = {}
        uids: dict[str, str] = {}
        for c in self.charger:
            key = c.identity.lower()
            if key in seen:
                raise ValueError(f"charger {c.identity} is declared twice")
            seen[key] = c.identity
            for conn in c.connector:
                where = f"{c.identity} connector {conn.id}"
                if conn.evse_uid in uids:
                    raise ValueError(
                        f"evse_uid {conn.evse_uid} is both {uids[conn.evse_uid]} "
                        f"and {where}"
                    )
                uids[conn.evse_uid] = where
        if is_loopback(self.listen_host) or self.insecure:
            return self
        if not self.tls:
            raise ValueError(
                f"chargers would reach {self.listen_host} by plain ws://, with their "
                "passwords in clear text; give tls_cert_file and tls_key_file, or "
                "set insecure = true in [ocpp] (a closed lab only)"
            )
        bare = [c.identity for c in self.charger if c.password_file is None]
        if bare:
            raise ValueError(
                f"charger {', '.join(bare)} has no password_file, and the server "
                f"listens on {self.listen_host} (not this machine only); give each "
                "charger a password_file (mode 0600)"
            )
        return self

    def site_problems(self, board_evses: Iterable[str]) -> list[tuple[str, str]]:
        """(key path, message) where a connector's EVSE uid is a ``[[evse]]``'s."""
        boards = set(board_evses)
        return [
            (
                f"ocpp.charger[{i}].connector[{j}].evse_uid",
                f"EVSE {conn.evse_uid!r} is also an [[evse]] of this site; "
                "give the charger's connector its own uid",
            )
            for i, c in enumerate(self.charger)
            for j, conn in enumerate(c.connector)
            if conn.evse_uid in boards
        ]

    def evse_uids(self) -> list[str]:
        """Every EVSE uid the chargers' connectors are."""
        return [conn.evse_uid for c in self.charger for conn in c.connector]
