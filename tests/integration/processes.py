"""Run ``hal-sim serve`` and ``edge run`` as real processes for crash tests."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent


def start(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    """Start a console script of this venv, output to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(BIN / args[0]), *args[1:]],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def start_sim(
    site: Path,
    speed: float | str,
    truth_log: Path,
    start_when: Path,
    log: Path,
    *extra: str,
) -> subprocess.Popen[bytes]:
    """``hal-sim serve`` for ``site``: its EVs arrive once ``start_when`` (the
    controller's ready file) exists, so none comes before the controller sees it."""
    args = ["hal-sim", "serve", str(site), "--speed", str(speed)]
    args += ["--truth", str(truth_log), *extra, "--start-when", str(start_when)]
    return start(args, log)


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Signal the process and wait for it."""
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        # Never leave a hung process behind to load the machine for later tests.
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise AssertionError(f"{proc.args[0]} ignored signal {sig} for 20 s") from None


def wait_for(what: str, check: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Poll ``check`` (test harness wall time) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def ready(path: Path, timeout: float = 90.0) -> dict[str, Any]:
    """Wait for ``edge run --ready-file path``; return what it says (pid, ready_at).

    The timeout is a guard for a controller that never comes up; a slow machine
    only makes the wait longer.
    """
    text = wait_for(f"controller READY ({path.name})", lambda: _read(path), timeout)
    info: dict[str, Any] = json.loads(text)
    return info


def _read(path: Path) -> str | None:
    try:
        return path.read_text()
    except FileNotFoundError:
        return None


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    """Read the controller's database from outside (read-only, WAL aware)."""
    if not db.exists():
        return []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return list(conn.execute(sql))
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


def truth(path: Path) -> list[dict[str, Any]]:
    """The simulator's plug-in/unplug lines."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
