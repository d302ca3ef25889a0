"""The site's authorization decision as OCPP 1.6 ``IdTagInfo``.

One service decides for every EVSE of the site (:mod:`edge.auth.authorizer`):
an idTag shown at an OCPP charger is decided by the same OCPI whitelist rules
as a card at a board EVSE's reader. This module only says the decision in
OCPP's words:

=====================  =============  ==========================================
decision               ``status``     why
=====================  =============  ==========================================
accepted               Accepted
BLOCKED                Blocked        the site operator or the eMSP blocked it
NOT_VALID              Blocked        the token cache holds it as not valid
EXPIRED                Expired        the eMSP says so
UNKNOWN                Invalid        nobody knows it (unknown cards: refused)
NOT_ALLOWED            Invalid        known, not allowed here or now
(another session)      ConcurrentTx   StartTransaction of a token charging at
                                      another EVSE of the site
=====================  =============  ==========================================

``parentIdTag`` is the token's OCPI ``group_id`` when it fits an IdToken (20
characters); ``expiryDate`` is never given: no OCPI Token carries one, so the
charger keeps its own cache rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from edge.model.authorization import AuthDecision, Refusal

ID_TOKEN_MAX = 20
"""An OCPP 1.6 IdToken is at most 20 characters (CiString20Type)."""


class IdTagStatus(StrEnum):
    """OCPP 1.6 ``AuthorizationStatus``."""

    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"
    CONCURRENT_TX = "ConcurrentTx"


_STATUS = {
    Refusal.BLOCKED: IdTagStatus.BLOCKED,
    Refusal.NOT_VALID: IdTagStatus.BLOCKED,
    Refusal.EXPIRED: IdTagStatus.EXPIRED,
    Refusal.UNKNOWN: IdTagStatus.INVALID,
    Refusal.NOT_ALLOWED: IdTagStatus.INVALID,
}


@dataclass(frozen=True)
class IdTagInfo:
    """What a 1.6 answer says of an idTag."""

    status: IdTagStatus
    parent_id_tag: str | None = None

    @property
    def accepted(self) -> bool:
        """Whether the charger may charge for it."""
        return self.status is IdTagStatus.ACCEPTED

    def payload(self) -> dict[str, str]:
        """The ``idTagInfo`` object of a 1.6 CALLRESULT."""
        out = {"status": self.status.value}
        if self.parent_id_tag is not None:
            out["parentIdTag"] = self.parent_id_tag
        return out


def id_tag_info(decision: AuthDecision) -> IdTagInfo:
    """The site's decision about a token, as a 1.6 ``IdTagInfo``."""
    group = decision.group_id
    parent = group if group is not None and 0 < len(group) <= ID_TOKEN_MAX else None
    if decision.accepted:
        return IdTagInfo(IdTagStatus.ACCEPTED, parent)
    status = _STATUS.get(decision.refusal or Refusal.UNKNOWN, IdTagStatus.INVALID)
    return IdTagInfo(status, parent)
