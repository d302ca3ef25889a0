"""Run ``edge`` commands as forked processes of one interpreter that imported it.

A test of the command line runs ``edge`` as a process: its exit code, stdout
and stderr are what a user sees. Most of such a process's wall time is Python
importing ``edge.cli`` and the controller (about a second of CPU; several
seconds of wall time on a loaded machine), which never differs between runs.
:class:`EdgeForks` starts one server (``python cli_forks.py``) that imports
them once; each :meth:`EdgeForks.run` is then a fresh child forked from it, in
the given directory, with the given environment, its stdin empty and its
stdout and stderr in files, that runs ``edge.cli.main(argv)`` exactly as the
console script does (an exception is a traceback on stderr and exit 1, as
Python prints it) and is waited for. One child at a time; a child that
outlives its timeout is killed.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path


class EdgeForks:
    """A server that forks ``edge`` commands (see the module docstring)."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="edge-forks-")
        self.proc = subprocess.Popen(
            [sys.executable, __file__],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,
        )

    def run(
        self,
        *args: str,
        cwd: Path | str,
        env: dict[str, str] | None = None,
        timeout: float = 60.0,
    ) -> subprocess.CompletedProcess[str]:
        """``edge args`` in ``cwd`` (environment ``env``, default this one's)."""
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        out = Path(self._dir.name) / "out"
        err = Path(self._dir.name) / "err"
        request = {
            "argv": list(args),
            "cwd": str(cwd),
            "env": dict(os.environ if env is None else env),
            "out": str(out),
            "err": str(err),
            "timeout": timeout,
        }
        self.proc.stdin.write(json.dumps(request).encode() + b"\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "the edge fork server died"
        answer = json.loads(line)
        if answer["timed_out"]:
            raise subprocess.TimeoutExpired(["edge", *args], timeout)
        return subprocess.CompletedProcess(
            ["edge", *args],
            int(answer["code"]),
            out.read_text(errors="replace"),
            err.read_text(errors="replace"),
        )

    def close(self) -> None:
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self._dir.cleanup()


# ---- the server (this file run as a script) ---------------------------------


def _child(request: dict[str, object]) -> None:
    """In the forked child: become ``edge argv`` (never returns)."""
    code = 1
    try:
        os.setsid()
        os.chdir(str(request["cwd"]))
        env = request["env"]
        assert isinstance(env, dict)
        os.environ.clear()
        os.environ.update(env)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(os.open(str(request["out"]), flags, 0o600), 1)
        os.dup2(os.open(str(request["err"]), flags, 0o600), 2)
        sys.stdin = open(0, closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
        argv = request["argv"]
        assert isinstance(argv, list)
        sys.argv = ["edge", *map(str, argv)]
        import edge.cli

        code = edge.cli.main(sys.argv[1:])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - as the interpreter would print it
        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


PRELOAD = (
    "edge.cli",
    "edge.app",
    "edge.cli.run",
    "edge.config.loader",
    "edge.store.db",
    "edge.uplink.ocpi.service",
)
"""Imported once in the server: the CLI, and what ``edge run`` imports lazily."""


def _serve() -> None:
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)

    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request)
        pidfd = os.pidfd_open(pid)
        exited = select.poll()
        exited.register(pidfd, select.POLLIN)
        timed_out = not exited.poll(int(float(request["timeout"]) * 1000))
        if timed_out:
            os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        os.close(pidfd)
        code = os.waitstatus_to_exitcode(status)
        sys.stdout.write(json.dumps({"code": code, "timed_out": timed_out}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    _serve()
