"""What the simulated eMSP holds and what it was sent, for tests to inspect.

Objects are kept in their wire form (what a PATCH merges into). Every request
that reached the OCPI layer is recorded in :attr:`BackofficeState.log`, the
reception log: its order, method, module, the object it names (the CDR's id from
the body of a POST) and our answer, whether we took it or refused it. Every
accepted write is in :attr:`BackofficeState.writes`. The stored objects are keyed
by id and cannot show a duplicate; the reception log can, so tests count
deliveries there (:meth:`BackofficeState.received`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from edge.ocpi import CommandResult, CredentialsRole, Token

Key = tuple[str, str, str]
"""(country_code, party_id, object id) of a client-owned object."""


@dataclass(frozen=True)
class Received:
    """One request that reached the OCPI layer, and our answer."""

    seq: int
    method: str
    module: str
    key: str
    """The URL path after the module (and the query), ``-`` when empty."""
    http_status: int
    status_code: int
    message: str | None
    at: datetime
    object_id: str | None = None
    """The object the request names: ``S1``, ``LOC1/E1``, a POSTed CDR's body id;
    None when it names none (versions, a token list page)."""
    headers: dict[str, str] = field(default_factory=dict)
    """The request's headers (names in lower case)."""

    @property
    def accepted(self) -> bool:
        """Whether we answered OCPI 1000 with a 2xx."""
        return self.status_code == 1000 and self.http_status < 300


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
        object_id: str | None = None,
        headers: dict[str, str] | None = None,
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
                object_id,
                headers or {},
            )
        )

    def received(self, module: str, object_id: str | None = None) -> list[Received]:
        """Every request for ``module`` (for one object, if given), in order.

        Refused requests count: a CDR POSTed twice is two receptions even though
        the second was answered "already exists".
        """
        return [
            r
            for r in self.log
            if r.module == module and (object_id is None or r.object_id == object_id)
        ]

    def reception_counts(
        self, module: str, method: str | None = None
    ) -> dict[str, int]:
        """How many requests each object of ``module`` got (of ``method``, if any)."""
        counts: dict[str, int] = {}
        for r in self.log:
            if r.module != module or r.object_id is None:
                continue
            if method is None or r.method == method:
                counts[r.object_id] = counts.get(r.object_id, 0) + 1
        return counts

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
