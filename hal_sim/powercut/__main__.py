"""``python -m hal_sim.powercut MOUNT BACKING``: a directory that power cuts hit.

Serves BACKING's files at MOUNT (see :mod:`hal_sim.powercut.disk` for the rules)
until unmounted (``fusermount3 -u MOUNT``) or sent SIGTERM/SIGINT; a clean exit
makes everything durable first, as ``sync`` before a shutdown does.

``kill -USR1 <pid>`` is a power cut: every write not fsynced is thrown away,
the directory is as it was at its last fsync, and the layer keeps serving that.
``kill -USR2 <pid>`` is a cut by a disk that had written part of its cache
back: each unsynced page of a durably named file survives with probability P
(``--keep-unsynced P``, default 0.5; ``--seed``), the rest is lost.
Stop the programs using the mount first (their open files answer EIO after a
cut). Each cut logs what it discarded and, with ``--cuts-file``, writes the
number of cuts done so far there, for a harness to wait on. SIGKILL of the
layer is a cut too (BACKING holds only what was synced); mount again after
``fusermount3 -u -z MOUNT``.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import logging
import os
import random
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from hal_sim.powercut.disk import Disk, DiskError
from hal_sim.powercut.fusefs import PowerCutFS, mount

log = logging.getLogger("hal_sim.powercut")


def fail(message: str) -> None:
    """One line on stderr."""
    sys.stderr.write(message + "\n")


def write_count(path: Path, count: int) -> None:
    """Replace ``path`` with the count, atomically."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(f"{count}\n")
    tmp.replace(path)


def serve_cuts(
    fs: PowerCutFS, cuts_file: Path | None, keep: float, rng: random.Random
) -> None:
    """Cut on every SIGUSR1 or SIGUSR2 (blocked in the other threads), forever."""
    while True:
        sig = signal.sigwait({signal.SIGUSR1, signal.SIGUSR2})
        partial = sig == signal.SIGUSR2 and keep > 0
        report = fs.cut((lambda: rng.random() < keep) if partial else None)
        log.info(
            "power cut %d: %d unsynced page(s) and %d name change(s) lost, "
            "%d unsynced page(s) kept; %d file(s) survive",
            fs.disk.cuts,
            report.dirty_pages,
            report.names,
            report.kept_pages,
            report.files,
        )
        if cuts_file is not None:
            write_count(cuts_file, fs.disk.cuts)


def clear_dead_mount(mountpoint: Path) -> None:
    """Detach a mount left behind by a layer that was killed."""
    try:
        mountpoint.stat()
    except OSError as exc:
        if exc.errno != errno.ENOTCONN:  # a FUSE mount with no server
            raise
        subprocess.run(["fusermount3", "-u", "-z", str(mountpoint)], check=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    p = argparse.ArgumentParser(prog="python -m hal_sim.powercut", description=__doc__)
    p.add_argument("mount", type=Path, help="where to serve the files (a directory)")
    p.add_argument("backing", type=Path, help="the durable files (a directory)")
    p.add_argument("--cuts-file", type=Path, help="write the number of cuts here")
    p.add_argument(
        "--keep-unsynced",
        type=float,
        default=0.5,
        metavar="P",
        help="at a cut by SIGUSR2, each unsynced page of a durable file "
        "survives with probability P (default 0.5)",
    )
    p.add_argument("--seed", type=int, default=0, help="for --keep-unsynced")
    args = p.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not 0.0 <= args.keep_unsynced <= 1.0:
        fail(f"--keep-unsynced {args.keep_unsynced}: give a probability, 0 to 1")
        return 2
    with contextlib.suppress(OSError):
        clear_dead_mount(args.mount)
    for what, path in (("mount point", args.mount), ("backing", args.backing)):
        if not path.is_dir():
            fail(f"{what} {path} is not a directory: create it first")
            return 2
    try:
        fs = PowerCutFS(Disk(args.backing))
    except DiskError as exc:
        fail(f"cannot serve {args.backing}: {exc}")
        return 2
    if args.cuts_file is not None:
        write_count(args.cuts_file, 0)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGUSR2})
    threading.Thread(
        target=serve_cuts,
        args=(fs, args.cuts_file, args.keep_unsynced, random.Random(args.seed)),
        name="cuts",
        daemon=True,
    ).start()
    log.info("serving %s at %s (pid %d)", args.backing, args.mount, os.getpid())
    try:
        mount(fs, str(args.mount))
    except RuntimeError as exc:
        fail(f"cannot mount {args.mount}: {exc} (is fuse3 installed? /dev/fuse?)")
        return 1
    fs.sync_all()
    log.info("unmounted %s; everything written is in %s", args.mount, args.backing)
    return 0


if __name__ == "__main__":
    sys.exit(main())
