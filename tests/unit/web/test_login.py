"""The commissioning page's password and sessions (edge/web/login.py)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from edge.model.clock import ScaledClock
from edge.web.login import (
    LOCKOUT_WALL_S,
    MAX_FAILURES,
    SESSION_WALL_S,
    Login,
    LoginError,
    check_password,
    hash_password,
)


class StepClock(ScaledClock):
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        super().__init__(1.0)
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now


def test_hash_checks_only_the_right_password() -> None:
    stored = hash_password("correct horse")
    assert stored.startswith("scrypt$")
    assert check_password("correct horse", stored)
    assert not check_password("correct hors", stored)
    assert not check_password("correct horse", "garbage")
    assert hash_password("x", b"1" * 16) == hash_password("x", b"1" * 16)
    assert hash_password("x") != hash_password("x")  # salted


def test_first_boot_setup_code_then_password(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    login = Login(tmp_path, StepClock(), secure=False)
    assert not login.has_password
    login.ensure_setup_code()
    code = login.setup_path.read_text().strip()
    assert len(code) == 8
    assert stat.S_IMODE(login.setup_path.stat().st_mode) == 0o600
    assert code not in caplog.text  # the log says where, never the code
    assert str(login.setup_path) in caplog.text
    login.ensure_setup_code()  # a restart keeps the same code
    assert login.setup_path.read_text().strip() == code
    with pytest.raises(LoginError, match="wrong setup code"):
        login.set_first_password("BADC0DE0", "long enough")
    with pytest.raises(LoginError, match="at least 8"):
        login.set_first_password(code, "short")
    with pytest.raises(LoginError, match="no password yet"):
        login.login("long enough")
    sid = login.set_first_password(code.lower(), "long enough")
    assert login.session(sid) is not None
    assert not login.setup_path.exists()
    assert stat.S_IMODE(login.password_path.stat().st_mode) == 0o600
    assert "long enough" not in login.password_path.read_text()
    with pytest.raises(LoginError, match="already set"):
        login.set_first_password(code, "another one")
    # A restart (a new Login on the same files) asks for the password, no code.
    again = Login(tmp_path, StepClock(), secure=False)
    again.ensure_setup_code()
    assert not again.setup_path.exists()
    assert again.session(sid) is None  # sessions live in memory
    assert again.session(again.login("long enough")) is not None
    with pytest.raises(LoginError, match="wrong password"):
        again.login("long enougH")


def test_sessions_expire_unless_used_and_logout_ends_them(tmp_path: Path) -> None:
    clock = StepClock()
    login = Login(tmp_path, clock, secure=False)
    login.ensure_setup_code()
    sid = login.set_first_password(login.setup_path.read_text(), "long enough")
    clock.now += SESSION_WALL_S - 1
    assert login.session(sid) is not None  # used: renewed
    clock.now += SESSION_WALL_S - 1
    assert login.session(sid) is not None
    clock.now += SESSION_WALL_S + 1
    assert login.session(sid) is None
    sid = login.login("long enough")
    login.logout(sid)
    assert login.session(sid) is None
    assert login.session(None) is None


def test_lockout_after_failures(tmp_path: Path) -> None:
    clock = StepClock()
    login = Login(tmp_path, clock, secure=False)
    login.ensure_setup_code()
    login.set_first_password(login.setup_path.read_text(), "long enough")
    for _ in range(MAX_FAILURES):
        with pytest.raises(LoginError, match="wrong password"):
            login.login("nope nope")
    with pytest.raises(LoginError, match="too many"):
        login.login("long enough")  # even the right one, for a while
    clock.now += LOCKOUT_WALL_S + 1
    assert login.session(login.login("long enough")) is not None


@pytest.mark.parametrize(("secure", "flag"), [(False, False), (True, True)])
def test_cookie_flags(tmp_path: Path, secure: bool, flag: bool) -> None:
    login = Login(tmp_path, StepClock(), secure=secure)
    header = login.cookie_header("abc")
    assert header.startswith("edge_session=abc;")
    assert "HttpOnly" in header
    assert "SameSite=Strict" in header
    assert ("Secure" in header) is flag
    assert "Max-Age=0" in login.clearing_cookie_header()
