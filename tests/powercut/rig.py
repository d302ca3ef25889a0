"""Run ``python -m hal_sim.powercut`` for a test: mount, cut, kill, unmount."""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.integration.processes import start, stop, wait_for

FINE_S = 0.005
"""Poll interval of the cut loop's waits: each cut waits on the controller's
READY file and the layer's cut counter, cheap reads; at the 50 ms of
``wait_for`` a cut would spend more time polling than cutting."""


def wait_fine(what: str, check: Callable[[], Any], timeout: float = 30.0) -> Any:
    """``wait_for`` at :data:`FINE_S` (test harness wall time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(FINE_S)
    raise AssertionError(f"timed out waiting for {what}")


def require_fuse() -> None:
    """Fail (not skip) with what to do when FUSE cannot run here."""
    assert shutil.which("fusermount3"), (
        "fusermount3 is missing: `apt-get install fuse3` (./dev test does it)"
    )
    assert os.path.exists("/dev/fuse"), (
        "/dev/fuse is missing: load the fuse module, or give the container "
        "--device /dev/fuse --cap-add SYS_ADMIN"
    )


class Layer:
    """The power-cut layer serving ``backing`` at ``mount``, in its own process."""

    def __init__(self, root: Path, log: Path, seed: int = 0) -> None:
        self.seed = seed
        self.mount = root / "mnt"
        self.backing = root / "backing"
        self.cuts_file = root / "cuts"
        self.log = log
        self.mount.mkdir(parents=True, exist_ok=True)
        self.backing.mkdir(exist_ok=True)
        self.proc: subprocess.Popen[bytes] | None = None
        self.cuts = 0

    def start(self) -> None:
        require_fuse()
        self.proc = start(
            [
                "python",
                "-m",
                "hal_sim.powercut",
                str(self.mount),
                str(self.backing),
                "--cuts-file",
                str(self.cuts_file),
                "--seed",
                str(self.seed),
            ],
            self.log,
        )
        wait_for(f"power-cut layer mounted at {self.mount}", self._mounted)

    def _mounted(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(
                f"power-cut layer exited: {self.log.read_text()[-1500:]}"
            )
        return os.path.ismount(self.mount) and self._cuts() == 0

    def _cuts(self) -> int | None:
        try:
            return int(self.cuts_file.read_text())
        except (OSError, ValueError):
            return None

    def cut(self, partial: bool = False) -> None:
        """Power cut: unsynced writes are gone when this returns.

        ``partial``: a random half of the unsynced pages of durable files
        survive (a disk that had written part of its cache back).
        """
        assert self.proc is not None
        self.proc.send_signal(signal.SIGUSR2 if partial else signal.SIGUSR1)
        self.cuts += 1
        wait_fine("the cut", lambda: (self._cuts() or 0) >= self.cuts)

    def kill(self) -> None:
        """Power cut by killing the layer itself (the backing dir is what survives)."""
        assert self.proc is not None
        stop(self.proc, signal.SIGKILL)
        self.proc = None
        subprocess.run(["fusermount3", "-u", "-z", str(self.mount)], check=False)
        self.cuts = 0

    def stop(self) -> None:
        """Clean unmount (everything written becomes durable)."""
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        subprocess.run(["fusermount3", "-u", str(self.mount)], check=False)
        try:
            proc.wait(timeout=20)  # it syncs everything, then exits
        except subprocess.TimeoutExpired:
            stop(proc, signal.SIGKILL)
            raise
        finally:
            if os.path.ismount(self.mount):
                unmount = ["fusermount3", "-u", "-z", str(self.mount)]
                subprocess.run(unmount, check=False)


class Zygote:
    """Start ``edge`` processes cheaply (see ``zygote.py``); kill them by pid."""

    def __init__(self, log: Path) -> None:
        script = Path(__file__).with_name("zygote.py")
        with log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, str(script)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=out,
                start_new_session=True,
            )

    def start(self, argv: list[str], log: Path) -> int:
        """Fork ``edge argv`` with output appended to ``log``; its pid."""
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"argv": argv, "log": str(log)}).encode())
        self.proc.stdin.write(b"\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "the zygote died: see its log"
        return int(line)

    @staticmethod
    def alive(pid: int) -> bool:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True

    def stop(self, pid: int, sig: int = signal.SIGTERM) -> None:
        """Signal the controller's process group and wait until it has exited.

        The wait is on a pidfd (readable once the process has exited, its files
        closed), not a poll: a cut loop pays no polling interval per kill.
        """
        try:
            pidfd = os.pidfd_open(pid)
        except ProcessLookupError:
            return  # gone already (the zygote reaps its children)
        try:
            # The process itself through its pidfd first: a kill right after the
            # fork can come before the child's setsid(), when no group has its
            # pid yet and killpg alone would miss it.
            with contextlib.suppress(ProcessLookupError):
                signal.pidfd_send_signal(pidfd, sig)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, sig)
            exited = select.poll()
            exited.register(pidfd, select.POLLIN)
            if not exited.poll(30_000):
                with contextlib.suppress(ProcessLookupError):
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
                    os.killpg(pid, signal.SIGKILL)
                raise AssertionError(f"pid {pid} ignored signal {sig} for 30 s")
        finally:
            os.close(pidfd)

    def close(self) -> None:
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()
        stop(self.proc)
