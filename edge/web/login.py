"""The commissioning page's password, set on first boot, and its login sessions.

**First boot.** The page has no password until the installer sets one. On the
first start without a password the controller writes a one-time *setup code*
to ``web-setup-code`` beside the database (mode 0600, e.g.
``/var/lib/edge/web-setup-code``) and logs where it is (never the code itself).
The installer reads it (``sudo cat``), opens the page, types the code and the
new password; the code file is removed and the password's scrypt hash is kept
in ``web-password`` beside it (mode 0600). Forgotten password: delete
``web-password`` and restart, and a new setup code is written.

**Sessions.** A login gives a random session id in the cookie ``edge_session``:
``HttpOnly`` (no script reads it), ``SameSite=Strict`` (no other site's page
sends it), ``Secure`` when the server speaks TLS, ``Path=/``. Sessions live in
memory (a restart logs everyone out) for :data:`SESSION_WALL_S` of wall time
without use, measured on the site clock.

**CSRF.** Every POST but login and setup must carry ``X-CSRF-Token`` with the
session's own token (given by ``GET /page/api/auth``, which only a page of this
origin can read); login and setup take JSON only, which a form on another site
cannot send without a CORS preflight we never answer. Wrong passwords are
counted: after :data:`MAX_FAILURES` in a row every login is refused for
:data:`LOCKOUT_WALL_S`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from edge.model.clock import Clock

log = logging.getLogger(__name__)

COOKIE = "edge_session"
CSRF_HEADER = "X-CSRF-Token"
SESSION_WALL_S = 12 * 3600.0
MAX_FAILURES = 5
LOCKOUT_WALL_S = 60.0
MIN_PASSWORD_CHARS = 8
PASSWORD_FILE = "web-password"
SETUP_CODE_FILE = "web-setup-code"
_N, _R, _P = 2**14, 8, 1  # scrypt: 16 MiB, about 50 ms on a Pi 4


class LoginError(Exception):
    """A login or setup refused; the message says why (never the secret)."""


def hash_password(password: str, salt: bytes | None = None) -> str:
    """``scrypt$n$r$p$salt$hash`` (hex) of ``password``."""
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` hashes to ``stored`` (constant-time compare)."""
    try:
        kind, n, r, p, salt, digest = stored.strip().split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode(),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(digest) // 2,
        )
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, mode 0600, atomically (rename)."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


@dataclass
class PageSession:
    """One logged-in browser."""

    csrf: str
    expires_at: float
    """Site monotonic time it expires unless used."""


class Login:
    """The page's password and sessions; files in ``data_dir``."""

    def __init__(self, data_dir: Path, clock: Clock, secure: bool) -> None:
        """Keep the password in ``data_dir``; ``secure``: the server speaks TLS."""
        self.data_dir = data_dir
        self.clock = clock
        self.secure = secure
        self.password_path = data_dir / PASSWORD_FILE
        self.setup_path = data_dir / SETUP_CODE_FILE
        self._sessions: dict[str, PageSession] = {}
        self._failures = 0
        self._locked_until: float | None = None

    # ---- first boot --------------------------------------------------------

    @property
    def has_password(self) -> bool:
        """A password has been set."""
        return self.password_path.is_file()

    def ensure_setup_code(self) -> None:
        """Without a password: write a setup code (once) and log where it is."""
        if self.has_password:
            return
        if not self.setup_path.is_file():
            _write_private(self.setup_path, secrets.token_hex(4).upper() + "\n")
        log.warning(
            "commissioning page: no password yet; open the page and set one with "
            "the one-time setup code in %s",
            self.setup_path,
        )

    def set_first_password(self, code: str, password: str) -> str:
        """Set the password with the setup code; a new session's id."""
        if self.has_password:
            raise LoginError("the password is already set: log in")
        self._check_lockout()
        try:
            expected = self.setup_path.read_text().strip()
        except OSError:
            raise LoginError(
                f"no setup code: restart the controller to write {self.setup_path}"
            ) from None
        if not hmac.compare_digest(code.strip().upper().encode(), expected.encode()):
            self._failed()
            raise LoginError(f"wrong setup code (it is in {self.setup_path})")
        if len(password) < MIN_PASSWORD_CHARS:
            raise LoginError(
                f"the password needs at least {MIN_PASSWORD_CHARS} characters"
            )
        _write_private(self.password_path, hash_password(password) + "\n")
        self.setup_path.unlink(missing_ok=True)
        log.warning("commissioning page: password set")
        return self._new_session()

    # ---- login -------------------------------------------------------------

    def login(self, password: str) -> str:
        """A new session's id for the right password."""
        if not self.has_password:
            raise LoginError("no password yet: set one with the setup code")
        self._check_lockout()
        if not check_password(password, self.password_path.read_text()):
            self._failed()
            raise LoginError("wrong password")
        self._failures = 0
        log.info("commissioning page: login")
        return self._new_session()

    def session(self, sid: str | None) -> PageSession | None:
        """The live session ``sid`` (its lifetime renewed), or None."""
        if sid is None:
            return None
        found = self._sessions.get(sid)
        now = self.clock.monotonic()
        if found is None or found.expires_at <= now:
            self._sessions.pop(sid, None)
            return None
        found.expires_at = now + self.clock.from_wall(SESSION_WALL_S)
        return found

    def logout(self, sid: str | None) -> None:
        """End the session ``sid`` (if any)."""
        if sid is not None:
            self._sessions.pop(sid, None)

    def cookie_header(self, sid: str) -> str:
        """The ``Set-Cookie`` value that carries ``sid``."""
        flags = "; HttpOnly; SameSite=Strict; Path=/"
        return f"{COOKIE}={sid}{flags}{'; Secure' if self.secure else ''}"

    def clearing_cookie_header(self) -> str:
        """The ``Set-Cookie`` value that ends the browser's session."""
        flags = "; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"
        return f"{COOKIE}={flags}{'; Secure' if self.secure else ''}"

    def _new_session(self) -> str:
        now = self.clock.monotonic()
        for sid in [k for k, v in self._sessions.items() if v.expires_at <= now]:
            del self._sessions[sid]
        sid = secrets.token_urlsafe(32)
        self._sessions[sid] = PageSession(
            csrf=secrets.token_urlsafe(24),
            expires_at=now + self.clock.from_wall(SESSION_WALL_S),
        )
        return sid

    def _check_lockout(self) -> None:
        if self._locked_until is None:
            return
        if self.clock.monotonic() < self._locked_until:
            raise LoginError("too many wrong attempts: wait a minute and try again")
        self._locked_until = None
        self._failures = 0

    def _failed(self) -> None:
        self._failures += 1
        log.warning("commissioning page: wrong password or code (%d)", self._failures)
        if self._failures >= MAX_FAILURES:
            self._locked_until = self.clock.monotonic() + self.clock.from_wall(
                LOCKOUT_WALL_S
            )
