"""Private files: the store's directory 0700, the database and its companions 0600.

The database holds the whitelisted card uids and every session, so no other
local user may read it. A new file is created 0600 before SQLite opens it:
SQLite gives the ``-wal``, ``-shm`` and ``-journal`` files it creates the mode
of the database file, so they are private too. Files and a directory left
readable by others (an older install, a copy made with a lax umask) are
tightened and reported once, at start.

Only a directory that holds nothing but the store is tightened: a shared
sticky one such as ``/tmp``, or one with other things in it (``/var/lib``, a
home), is left as it is (with a warning when others may read it); the files in
it are still made 0600.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

FILE_MODE = 0o600
DIR_MODE = 0o700
OTHERS = stat.S_IRWXG | stat.S_IRWXO
COMPANIONS = ("-wal", "-shm", "-journal")
"""The files SQLite keeps beside a database."""


class PrivacyError(OSError):
    """A private file or directory cannot be made private; the message says why."""


def _tighten(path: Path, wanted: int, what: str) -> None:
    """Make ``path`` mode ``wanted`` if others may use it; warn when fixed."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return
    if not mode & OTHERS:
        return
    try:
        path.chmod(wanted)
    except OSError as exc:
        raise PrivacyError(
            f"{what} {path} is open to other users (mode {mode:o}) and cannot be "
            f"made {wanted:o}: {exc.strerror}; run `chmod {wanted:o} {path}` as "
            "its owner"
        ) from None
    log.warning(
        "%s %s was open to other users (mode %o); tightened to %o",
        what,
        path,
        mode,
        wanted,
    )


def _dedicated(directory: Path, db_name: str) -> bool:
    """``directory`` holds only the store: the database, its companions, JSON files.

    Only such a directory is ours to tighten: ``--db /var/lib/x.db`` must never
    make ``/var/lib`` (or a home, or ``/proc``) private.
    """
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return False
    for entry in entries:
        name = entry.name
        if not entry.is_file(follow_symlinks=False):
            return False
        if not (name.startswith(db_name) or name.endswith((".json", ".tmp"))):
            return False
    return True


def private_dir(directory: Path, db_name: str) -> None:
    """Create ``directory`` (and parents) 0700, or tighten it if it is the store's.

    A directory that holds other things too (or is shared, sticky, or someone
    else's) is left as it is, with a warning if others may read it: the files in
    it are still made 0600.
    """
    if not directory.exists():
        directory.mkdir(parents=True, mode=DIR_MODE, exist_ok=True)
        # mkdir's mode passes through the umask; say it exactly.
        directory.chmod(DIR_MODE)
        return
    info = directory.stat()
    if not info.st_mode & OTHERS:
        return
    if info.st_mode & stat.S_ISVTX:
        log.info("%s is a shared directory; its database files are 0600", directory)
        return
    if info.st_uid == os.geteuid() and _dedicated(directory, db_name):
        _tighten(directory, DIR_MODE, "database directory")
        return
    log.warning(
        "database directory %s is open to other users (mode %o) and holds more "
        "than the store, so it is left as it is (the database files are 0600); "
        "keep the store in a directory of its own",
        directory,
        stat.S_IMODE(info.st_mode),
    )


def private_file(path: Path, what: str = "database file") -> None:
    """Create ``path`` 0600 if missing, else tighten it."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        _tighten(path, FILE_MODE, what)
        return
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


def private_database(path: Path) -> None:
    """Make the database at ``path``, its companions and its directory private."""
    private_dir(path.parent, path.name)
    private_file(path)
    for suffix in COMPANIONS:
        _tighten(path.with_name(path.name + suffix), FILE_MODE, "database file")
