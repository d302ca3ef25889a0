"""The credentials we hold for one backoffice, in a file only the service user reads.

What is kept: the peer's versions URL, token C (we call the peer with it), token B
(the peer calls us with it), the version and the endpoints we use, and the peer's
roles (its country code and party id are the ``OCPI-to-*`` routing headers). The
file is written atomically with mode 0600; a file that others can read is
tightened and reported. Tokens are never logged (:func:`redact`).
"""

from __future__ import annotations

import json
import logging
import os
import stat
from dataclasses import asdict, dataclass
from pathlib import Path

from edge.ocpi import InterfaceRole, ModuleID
from edge.ocpi.party import Party

log = logging.getLogger(__name__)
MODE = 0o600


class CredentialsFileError(Exception):
    """The credentials file cannot be read or written; the message says why."""


def redact(token: str | None) -> str:
    """A token as logs may show it: its first four characters."""
    if not token:
        return "(none)"
    return f"{token[:4]}…({len(token)} chars)"


@dataclass(frozen=True)
class PeerEndpoint:
    """One endpoint of the peer's version details."""

    identifier: str
    role: str
    url: str


@dataclass(frozen=True)
class PeerRole:
    """One role the peer platform acts as."""

    role: str
    country_code: str
    party_id: str
    name: str = ""


@dataclass(frozen=True)
class OcpiCredentials:
    """Everything needed to talk to one backoffice."""

    versions_url: str
    token_c: str | None = None
    token_b: str | None = None
    version: str | None = None
    version_url: str | None = None
    endpoints: tuple[PeerEndpoint, ...] = ()
    roles: tuple[PeerRole, ...] = ()
    registered_at: str | None = None
    installed: str = "handshake"
    """How token C came: ``handshake`` or ``out-of-band`` (``edge ocpi credentials
    set``)."""
    registered_with: str | None = None
    """The versions URL we were configured with when token C was obtained."""

    def endpoint(self, module: str, role: str = InterfaceRole.RECEIVER) -> str | None:
        """The peer's URL for ``module`` in ``role`` (any role for credentials)."""
        for ep in self.endpoints:
            any_role = module == ModuleID.CREDENTIALS
            if ep.identifier == module and (any_role or ep.role == role):
                return ep.url
        return None

    @property
    def peer_party(self) -> Party | None:
        """The peer's eMSP party (else its first role): our OCPI-to address."""
        for wanted in ("EMSP", None):
            for r in self.roles:
                if wanted is None or r.role == wanted:
                    return Party(r.country_code, r.party_id)
        return None

    @property
    def ready(self) -> bool:
        """Token C and the endpoints are known: objects can be pushed."""
        return bool(self.token_c) and bool(self.endpoints)


def _str(data: dict[str, object], key: str, path: Path) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise CredentialsFileError(f"{path}: {key}: expected a string, got {value!r}")


def _list(data: dict[str, object], key: str, path: Path) -> list[dict[str, object]]:
    value = data.get(key, [])
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return value
    raise CredentialsFileError(f"{path}: {key}: expected a list of objects")


def _parse(data: object, path: Path) -> OcpiCredentials:
    if not isinstance(data, dict):
        raise CredentialsFileError(f"{path}: expected a JSON object")
    versions_url = _str(data, "versions_url", path)
    if not versions_url:
        raise CredentialsFileError(f"{path}: versions_url: missing")
    try:
        endpoints = tuple(
            PeerEndpoint(str(e["identifier"]), str(e["role"]), str(e["url"]))
            for e in _list(data, "endpoints", path)
        )
        roles = tuple(
            PeerRole(
                str(r["role"]),
                str(r["country_code"]),
                str(r["party_id"]),
                str(r.get("name", "")),
            )
            for r in _list(data, "roles", path)
        )
    except KeyError as exc:
        raise CredentialsFileError(f"{path}: missing key {exc} in a list") from exc
    return OcpiCredentials(
        versions_url=versions_url,
        token_c=_str(data, "token_c", path),
        token_b=_str(data, "token_b", path),
        version=_str(data, "version", path),
        version_url=_str(data, "version_url", path),
        endpoints=endpoints,
        roles=roles,
        registered_at=_str(data, "registered_at", path),
        installed=_str(data, "installed", path) or "handshake",
        registered_with=_str(data, "registered_with", path),
    )


class CredentialsStore:
    """Load and save :class:`OcpiCredentials` as a 0600 JSON file."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def load(self) -> OcpiCredentials | None:
        """The stored credentials, or None when there is no file."""
        try:
            mode = self.path.stat().st_mode
        except FileNotFoundError:
            return None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            log.warning(
                "%s was readable by others (mode %o); tightened to 600",
                self.path,
                stat.S_IMODE(mode),
            )
            self.path.chmod(MODE)
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CredentialsFileError(f"{self.path}: cannot read: {exc}") from exc
        return _parse(data, self.path)

    def save(self, creds: OcpiCredentials) -> None:
        """Write atomically (temporary file, fsync, rename, fsync of the directory).

        Mode 0600. Without the directory's fsync a power cut can undo the rename
        and even the new file: token A is spent by then, so the site could not
        register again (tests/powercut shows it).
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = asdict(creds)
        text = json.dumps(data, indent=2, sort_keys=True) + "\n"
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, MODE)
            try:
                os.fchmod(fd, MODE)
                os.write(fd, text.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, self.path)
            dir_fd = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise CredentialsFileError(f"{self.path}: cannot write: {exc}") from exc

    def delete(self) -> bool:
        """Remove the file; return whether there was one."""
        try:
            self.path.unlink()
        except FileNotFoundError:
            return False
        return True
