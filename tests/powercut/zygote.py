"""Fork ``edge`` controllers from one interpreter that has imported them already.

A power-cut loop restarts the controller hundreds of times; most of a start is
Python importing the controller (pydantic models, httpx, uvicorn), which never
touches the disk. This process imports once (and builds the argument parser),
then for each line on stdin (``{"argv": [...], "log": PATH}``) forks a child
that runs ``edge.cli.main(argv)`` exactly as the ``edge`` console script does,
in its own session, with stdout and stderr appended to PATH, and prints the
child's pid. Children are reaped here; a test waits for one to be gone on a
pidfd (``rig.Zygote.stop``) or sees it when ``os.kill(pid, 0)`` fails.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import traceback

# Imported once here, for every child:
import edge.app
import edge.cli
import edge.cli.run
import edge.store.db
import edge.uplink.ocpi.service

# The argument parser too: building it (every subcommand's help text through
# gettext, which looks for catalogues on disk) is a sixth of a start. Parsing
# does not change a parser, so each child parses with the one built here.
_PARSER = edge.cli.build_parser()
edge.cli.build_parser = lambda: _PARSER  # type: ignore[assignment]


def child(argv: list[str], log: str) -> None:
    """In the forked child: become ``edge argv`` (never returns)."""
    code = 1
    try:
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        out = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        sys.stdin = open(0, closefd=False)  # noqa: SIM115
        sys.stdout = open(1, "w", buffering=1, closefd=False)  # noqa: SIM115
        sys.stderr = open(2, "w", buffering=1, closefd=False)  # noqa: SIM115
        sys.argv = ["edge", *argv]
        sys.stderr.write(f"zygote: pid {os.getpid()} forked\n")
        code = edge.cli.main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # noqa: BLE001 - the child's last words, then _exit
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def main() -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children reap themselves
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            child(request["argv"], request["log"])
        sys.stdout.write(f"{pid}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
