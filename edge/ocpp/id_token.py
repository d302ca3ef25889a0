"""The site's authorization decision as OCPP 2.0.1 ``IdTokenInfo``.

The 2.0.1 counterpart of :mod:`edge.ocpp.id_tag`: the same decision by the
site's one authorization service, in 2.0.1's words (``AuthorizationStatusEnum``
has more of them than 1.6):

=====================  ==================  =====================================
decision               ``status``          why
=====================  ==================  =====================================
accepted               Accepted
BLOCKED                Blocked             the site operator or the eMSP did
NOT_VALID              Blocked             the token cache holds it as not valid
EXPIRED                Expired             the eMSP says so
UNKNOWN                Unknown             nobody knows it (refused by default)
NOT_ALLOWED            NotAtThisLocation   known, not allowed here or now
=====================  ==================  =====================================

``groupIdToken`` is the token's OCPI ``group_id`` (type Central) when it fits an
IdToken (36 characters); no ``cacheExpiryDateTime``: no OCPI Token carries one.

What the token is decides how it is asked about: an ISO 14443 or 15693 card is
an RFID token, a Central one (a remote start by the backoffice) an app user's,
every other kind OTHER.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from edge.model.authorization import AuthDecision, Refusal
from edge.model.tokens import TokenType

ID_TOKEN_MAX = 36
"""An OCPP 2.0.1 ``IdTokenType.idToken`` is at most 36 characters."""


class TokenStatus(StrEnum):
    """The OCPP 2.0.1 ``AuthorizationStatusEnumType`` values we answer with."""

    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    UNKNOWN = "Unknown"
    NOT_AT_THIS_LOCATION = "NotAtThisLocation"
    CONCURRENT_TX = "ConcurrentTx"


_STATUS = {
    Refusal.BLOCKED: TokenStatus.BLOCKED,
    Refusal.NOT_VALID: TokenStatus.BLOCKED,
    Refusal.EXPIRED: TokenStatus.EXPIRED,
    Refusal.UNKNOWN: TokenStatus.UNKNOWN,
    Refusal.NOT_ALLOWED: TokenStatus.NOT_AT_THIS_LOCATION,
}

_TOKEN_TYPES = {
    "ISO14443": TokenType.RFID,
    "ISO15693": TokenType.RFID,
    "Central": TokenType.APP_USER,
}


def token_type(id_token_type: str) -> TokenType:
    """The site's token type for a 2.0.1 ``IdTokenEnumType``."""
    return _TOKEN_TYPES.get(id_token_type, TokenType.OTHER)


@dataclass(frozen=True)
class IdTokenInfo:
    """What a 2.0.1 answer says of an idToken."""

    status: TokenStatus
    group: str | None = None

    @property
    def accepted(self) -> bool:
        """Whether the station may charge for it."""
        return self.status is TokenStatus.ACCEPTED

    def payload(self) -> dict[str, object]:
        """The ``idTokenInfo`` object of a 2.0.1 CALLRESULT."""
        out: dict[str, object] = {"status": self.status.value}
        if self.group is not None:
            out["groupIdToken"] = {"idToken": self.group, "type": "Central"}
        return out


def id_token_info(decision: AuthDecision) -> IdTokenInfo:
    """The site's decision about a token, as a 2.0.1 ``IdTokenInfo``."""
    group = decision.group_id
    fits = group if group is not None and 0 < len(group) <= ID_TOKEN_MAX else None
    if decision.accepted:
        return IdTokenInfo(TokenStatus.ACCEPTED, fits)
    status = _STATUS.get(decision.refusal or Refusal.UNKNOWN, TokenStatus.UNKNOWN)
    return IdTokenInfo(status, fits)
