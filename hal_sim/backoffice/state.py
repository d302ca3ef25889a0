"""What the simulated eMSP holds and what it was sent, for tests to inspect.

Objects are kept in their wire form (what a PATCH merges into); every request that
reached the OCPI layer is recorded in :attr:`BackofficeState.log`, and every
accepted write in :attr:`BackofficeState.writes`, so that tests can check that
each object arrived exactly once and in order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from edge.uplink.ocpi.models import CommandResult, CredentialsRole, Token

Key = tuple[str, str, str]
"""(country_code, party_id, object id) of a client-owned object."""


@dataclass(frozen=True)
class Received:
    """One request that reached the OCPI layer, and our answer."""

    seq: int
    method: str
    module: str
    key: str
    http_status: int
    status_code: int
    message: str | None
    at: datetime


@dataclass(frozen=True)
class Write:
    """One accepted change of an object (PUT, PATCH, POST, DELETE)."""

    seq: int
    method: str
    module: str
    key: str
    status: str | None
    """Session or EVSE status after the write, when the object has one."""
    last_updated: str | None


@dataclass
class Registration:
    """A CPO that completed the credentials handshake."""

    token_c: str
    token_b: str
    versions_url: str
    roles: list[CredentialsRole]

    def owns(self, country_code: str, party_id: str) -> bool:
        """Whether the CPO registered this (country code, party id)."""
        return any(
            r.country_code.upper() == country_code.upper()
            and r.party_id.upper() == party_id.upper()
            for r in self.roles
        )


@dataclass
class BackofficeState:
    """Registrations, stored objects, the token list and the request log."""

    token_a: str
    registrations: dict[str, Registration] = field(default_factory=dict)
    token_a_used: bool = False
    locations: dict[Key, dict[str, object]] = field(default_factory=dict)
    sessions: dict[Key, dict[str, object]] = field(default_factory=dict)
    cdrs: dict[Key, dict[str, object]] = field(default_factory=dict)
    tariffs: dict[Key, dict[str, object]] = field(default_factory=dict)
    tokens: list[Token] = field(default_factory=list)
    log: list[Received] = field(default_factory=list)
    writes: list[Write] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    """CDR ids POSTed again after we had them (answered "already exists")."""
    command_results: dict[str, list[CommandResult]] = field(default_factory=dict)
    """CommandResults received, by the id of the command we sent."""

    def record(
        self,
        method: str,
        module: str,
        key: str,
        http_status: int,
        status_code: int,
        message: str | None,
        at: datetime,
    ) -> None:
        """Log one request and its answer."""
        self.log.append(
            Received(
                len(self.log),
                method,
                module,
                key,
                http_status,
                status_code,
                message,
                at,
            )
        )

    def wrote(
        self,
        method: str,
        module: str,
        key: str,
        obj: dict[str, object] | None,
    ) -> None:
        """Log one accepted change."""
        status = obj.get("status") if obj else None
        updated = obj.get("last_updated") if obj else None
        self.writes.append(
            Write(
                len(self.writes),
                method,
                module,
                key,
                status if isinstance(status, str) else None,
                updated if isinstance(updated, str) else None,
            )
        )

    def writes_for(self, module: str, key: str) -> list[Write]:
        """Every accepted change of one object, in order."""
        return [w for w in self.writes if w.module == module and w.key == key]

    def rejected(self) -> list[Received]:
        """Every request answered with an error."""
        return [r for r in self.log if r.status_code != 1000 or r.http_status >= 300]
