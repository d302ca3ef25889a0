"""The declared chargers with their passwords, read from their files at start.

A password file is a regular file that other users may not read (0600 or
0640), one line: the password as text, or a 1.6 ``AuthorizationKey`` as hex
digits (``password_format = "hex"``), whose raw bytes the charger sends.
"""

from __future__ import annotations

import os
import stat

from edge.config.ocpp import OcppCharger, OcppSection
from edge.ocpp.handshake import Declared

MAX_PASSWORD_BYTES = 4096


class OcppConfigError(Exception):
    """A charger's password file cannot be used; the message says what to do."""


def _read(path: str, identity: str) -> bytes:
    what = f"the OCPP password of charger {identity}"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError as exc:
        raise OcppConfigError(
            f"cannot read {what} from {path}: {exc.strerror}"
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OcppConfigError(f"{path} ({what}) is not a regular file")
        if info.st_mode & stat.S_IRWXO:
            raise OcppConfigError(
                f"{path} holds {what} and every user may read it (mode "
                f"{stat.S_IMODE(info.st_mode):o}); `chmod 600 {path}`"
            )
        os.set_blocking(fd, True)
        data = os.read(fd, MAX_PASSWORD_BYTES + 1)
    except OSError as exc:
        raise OcppConfigError(
            f"cannot read {what} from {path}: {exc.strerror}"
        ) from None
    finally:
        os.close(fd)
    if len(data) > MAX_PASSWORD_BYTES:
        raise OcppConfigError(f"{path} is too large for {what} (over 4 KiB)")
    return data.rstrip(b"\r\n")


def _password(charger: OcppCharger) -> bytes | None:
    if charger.password_file is None:
        return None
    raw = _read(charger.password_file, charger.identity)
    if not raw:
        raise OcppConfigError(
            f"{charger.password_file} is empty (the OCPP password of charger "
            f"{charger.identity}); write its password on one line"
        )
    if charger.password_format == "text":
        return raw
    try:
        return bytes.fromhex(raw.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise OcppConfigError(
            f'{charger.password_file} is not hex digits (password_format = "hex" '
            f"for charger {charger.identity}); write the AuthorizationKey as hex"
        ) from None


def declared(section: OcppSection) -> dict[str, Declared]:
    """Each declared charger by identity, with its password read."""
    return {c.identity: Declared(c, _password(c)) for c in section.charger}
