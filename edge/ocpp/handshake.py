"""Who may open a websocket to us: the charger's identity and its Basic auth.

Pure: the websocket server (:mod:`edge.ocpp.server`) hands over the request's
path and ``Authorization`` header and answers the handshake with the verdict.

* The path is ``/<identity>`` (percent-encoded, OCPP-J 1.6 section 3.1.1); an
  identity not declared in ``[ocpp]`` is refused with HTTP 404, as the errata
  advise (the charger then retries with back-off).
* Security profile 1: ``Authorization: Basic base64(<identity>:<password>)``.
  The user name must be the identity in the URL; the password is compared as
  bytes in constant time (a 1.6 ``AuthorizationKey`` is raw bytes, not text, so
  this is parsed here rather than with a UTF-8 helper). A charger declared
  without a password (loopback only, the schema sees to that) needs none.
  Missing or wrong credentials: HTTP 401.

The reason of a refusal names what was wrong, never what was sent as password.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from enum import IntEnum
from urllib.parse import unquote

from edge.config.ocpp import OcppCharger
from edge.ocpp.charger_models import ModelProfile


class Refusal(IntEnum):
    """The HTTP status a refused handshake gets."""

    UNAUTHORIZED = 401
    NOT_FOUND = 404


@dataclass(frozen=True)
class Admit:
    """The handshake may proceed, for this declared charger."""

    charger: OcppCharger


@dataclass(frozen=True)
class Refuse:
    """The handshake is refused; ``reason`` is for the log."""

    status: Refusal
    reason: str
    identity: str | None
    """The identity the path named (None if the path names none)."""


Verdict = Admit | Refuse


@dataclass(frozen=True)
class Declared:
    """A declared charger and the password it must present (None: none needed)."""

    charger: OcppCharger
    password: bytes | None
    model: ModelProfile | None = None
    """Its model's known deviations (``model`` in the site file), if named."""


def identity_of(path: str) -> str | None:
    """The identity a request path ``/<identity>`` names, or None."""
    path = path.split("?", 1)[0]
    if not path.startswith("/") or path.count("/") != 1 or len(path) < 2:
        return None
    try:
        return unquote(path[1:], errors="strict")
    except UnicodeDecodeError:
        return None


def _basic(header: str) -> tuple[bytes, bytes] | None:
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    user, colon, password = raw.partition(b":")
    return (user, password) if colon else None


def admit(
    chargers: dict[str, Declared], path: str, authorization: str | None
) -> Verdict:
    """Whether a websocket to ``path`` with this ``Authorization`` may open."""
    identity = identity_of(path)
    if identity is None:
        return Refuse(Refusal.NOT_FOUND, f"path {path[:80]!r} is not /<identity>", None)
    declared = chargers.get(identity)
    if declared is None:
        return Refuse(
            Refusal.NOT_FOUND, "identity not declared in [ocpp] charger", identity
        )
    if declared.password is None:
        return Admit(declared.charger)
    if authorization is None:
        return Refuse(Refusal.UNAUTHORIZED, "no Basic Authorization header", identity)
    creds = _basic(authorization)
    if creds is None:
        return Refuse(
            Refusal.UNAUTHORIZED, "Authorization header is not valid Basic", identity
        )
    user, password = creds
    if user != identity.encode():
        return Refuse(
            Refusal.UNAUTHORIZED, "Basic user name is not the identity", identity
        )
    if not hmac.compare_digest(password, declared.password):
        return Refuse(Refusal.UNAUTHORIZED, "wrong password", identity)
    return Admit(declared.charger)
