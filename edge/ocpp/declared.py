"""The declared chargers with their passwords, read from their files at start.

A password file is a regular file that other users may not read (0600 or
0640), one line: the password as text, or a 1.6 ``AuthorizationKey`` as hex
digits (``password_format = "hex"``), whose raw bytes the charger sends.
"""

from __future__ import annotations

from edge.config.ocpp import OcppCharger, OcppSection
from edge.config.secret_file import SecretFileError, read_secret_file
from edge.ocpp import charger_models
from edge.ocpp.handshake import Declared


class OcppConfigError(Exception):
    """A charger's password file or model cannot be used; the message says why."""


def _read(path: str, identity: str) -> bytes:
    try:
        data = read_secret_file(path, f"the OCPP password of charger {identity}")
    except SecretFileError as exc:
        raise OcppConfigError(str(exc)) from None
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
    """Each declared charger by identity, with its password read.

    An :class:`OcppConfigError` names the key: ``ocpp.charger[N].password_file``
    or ``ocpp.charger[N].model`` (an unknown model, or its profile not valid).
    """
    found: dict[str, Declared] = {}
    for n, c in enumerate(section.charger):
        try:
            password = _password(c)
        except OcppConfigError as exc:
            raise OcppConfigError(f"ocpp.charger[{n}].password_file: {exc}") from None
        try:
            model = None if c.model is None else charger_models.load(c.model)
        except charger_models.ModelProfileError as exc:
            raise OcppConfigError(f"ocpp.charger[{n}].model: {exc}") from None
        found[c.identity] = Declared(c, password, model)
    return found
