"""A token shown at an OCPP charger, asked of the site's authorization service.

Both versions' Authorize and 1.6's StartTransaction ask here: the one service
of the site (the same rules as a card at a board EVSE) decides, and the
decision is logged once with the charger, the redacted token and the reason.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from edge.config.ocpp import OcppCharger
from edge.model.authorization import AuthDecision
from edge.model.redact import redact_uid
from edge.model.tokens import TokenType
from edge.ocpp.handlers.backing import SiteBacking

log = logging.getLogger(__name__)


async def ask(
    site: SiteBacking,
    charger: OcppCharger,
    uid: str,
    kind: TokenType,
    evse_uid: str | None,
    *,
    named: str,
    kind_shown: str | None = None,
    said: Callable[[AuthDecision], str] | None = None,
) -> AuthDecision:
    """The site's decision about ``uid`` shown at ``charger``.

    ``named``: how the message names it, for the log (``idTag``,
    ``idToken``), ``kind_shown`` its type if it has one (``ISO14443``);
    ``said``: the decision in the version's words (``Invalid``, ``Unknown``;
    default accepted or refused).
    """
    decision = await site.authorization.authorize(uid, kind, evse_uid)
    log.info(
        "OCPP %s: %s %s %s (%s)",
        charger.identity,
        named,
        redact_uid(uid) + ("" if kind_shown is None else f" ({kind_shown})"),
        _plain(decision) if said is None else said(decision),
        decision.reason,
    )
    return decision


def _plain(decision: AuthDecision) -> str:
    return "accepted" if decision.accepted else "refused"


def sole_evse(charger: OcppCharger) -> str | None:
    """The EVSE a message that names none is about: the charger's only one."""
    connectors = charger.connector
    return connectors[0].evse_uid if len(connectors) == 1 else None
