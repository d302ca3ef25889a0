"""Read a secret (a password) from the file the site file names.

The file must be a regular file that other users cannot read (0600, or 0640 for a
service group), at most 4 KiB. It is opened without blocking and without
becoming a controlling terminal, so a FIFO or a device named by mistake is
refused instead of hanging the controller.
"""

from __future__ import annotations

import os
import stat

MAX_SECRET_FILE_BYTES = 4096


class SecretFileError(Exception):
    """The secret's file cannot be used; the message names it and what to do."""


def read_secret_file(path: str, what: str) -> bytes:
    """The bytes of ``path``, which holds ``what`` (e.g. "the MQTT password")."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as exc:
        raise SecretFileError(
            f"cannot read {what} from {path}: {exc.strerror}"
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise SecretFileError(f"{path} ({what}) is not a regular file")
        if info.st_mode & stat.S_IRWXO:
            raise SecretFileError(
                f"{path} holds {what} and every user may read it (mode "
                f"{stat.S_IMODE(info.st_mode):o}); `chmod 600 {path}`"
            )
        os.set_blocking(fd, True)
        data = os.read(fd, MAX_SECRET_FILE_BYTES + 1)
    except OSError as exc:
        raise SecretFileError(
            f"cannot read {what} from {path}: {exc.strerror}"
        ) from None
    finally:
        os.close(fd)
    if len(data) > MAX_SECRET_FILE_BYTES:
        raise SecretFileError(f"{path} is too large for {what} (over 4 KiB)")
    return data
