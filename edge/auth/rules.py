"""The OCPI 2.2.1 whitelist rules as pure functions: token in, decision out.

OCPI 2.2.1, Tokens module, *WhitelistType*:

* ``ALWAYS``: decide from the local list; real-time authorization is not allowed.
* ``ALLOWED``: the CPO may choose. We decide from the local list (a swipe must
  start charging in milliseconds), except for a token the list holds as not valid:
  then the eMSP is asked when it can be reached, since its state may have changed.
* ``ALLOWED_OFFLINE``: ask the eMSP; when no answer comes, allow the token.
* ``NEVER``: ask the eMSP, always; with no answer, refuse.

The validity of a token does not change which method applies (the spec says so);
a token the local list holds as not valid is refused whenever the list decides.
A card unknown to the list is asked about; with no answer the site's policy for
unknown cards decides. A card the site operator blocked is refused first.
"""

from __future__ import annotations

from edge.auth.remote import RemoteAnswer, UnknownOffline
from edge.auth.token_mapping import cached_from_ocpi
from edge.model.authorization import AuthDecision, Refusal
from edge.model.tokens import CachedToken, TokenSource
from edge.ocpi.enums import (
    AllowedType,
    AuthMethod,
    TokenType,
    WhitelistType,
)

WHITELIST = AuthMethod.WHITELIST.value
AUTH_REQUEST = AuthMethod.AUTH_REQUEST.value


def _accept(
    uid: str,
    token: CachedToken,
    reason: str,
    method: str,
    reference: str | None = None,
) -> AuthDecision:
    return AuthDecision(
        uid,
        True,
        reason,
        token_type=token.type.value,
        contract_id=token.contract_id,
        group_id=token.group_id,
        method=method,
        authorization_reference=reference,
        country_code=token.country_code,
        party_id=token.party_id,
    )


def _refuse(
    uid: str,
    token: CachedToken | None,
    reason: str,
    method: str,
    refusal: Refusal,
) -> AuthDecision:
    return AuthDecision(
        uid,
        False,
        reason,
        token_type=None if token is None else token.type.value,
        contract_id=None if token is None else token.contract_id,
        group_id=None if token is None else token.group_id,
        method=method,
        refusal=refusal,
    )


_ALLOWED_REFUSAL = {
    AllowedType.BLOCKED: Refusal.BLOCKED,
    AllowedType.EXPIRED: Refusal.EXPIRED,
    AllowedType.NO_CREDIT: Refusal.NOT_ALLOWED,
    AllowedType.NOT_ALLOWED: Refusal.NOT_ALLOWED,
}


def decide_local(
    uid: str, token: CachedToken | None, blocked: bool
) -> AuthDecision | None:
    """Decide from the local list alone, or return None: ask the eMSP first."""
    if blocked:
        return _refuse(
            uid, token, "blocked by the site operator", WHITELIST, Refusal.BLOCKED
        )
    if token is None:
        return None
    rule = token.whitelist
    if rule is WhitelistType.ALWAYS:
        if token.valid:
            return _accept(uid, token, "local list (ALWAYS)", WHITELIST)
        return _refuse(
            uid,
            token,
            "token not valid (local list, ALWAYS)",
            WHITELIST,
            Refusal.NOT_VALID,
        )
    if rule is WhitelistType.ALLOWED and token.valid:
        return _accept(uid, token, "local list (ALLOWED)", WHITELIST)
    return None


def decide_remote(
    uid: str,
    cached: CachedToken | None,
    answer: RemoteAnswer,
    evse_uid: str | None = None,
) -> AuthDecision:
    """Follow the eMSP's answer (it overrides the local list)."""
    info = answer.info
    if info is None:
        return _refuse(
            uid, cached, "eMSP: unknown token", AUTH_REQUEST, Refusal.UNKNOWN
        )
    token = cached_from_ocpi(info.token, TokenSource.OCPI)
    if info.allowed is not AllowedType.ALLOWED:
        return _refuse(
            uid,
            token,
            f"eMSP: {info.allowed.value}",
            AUTH_REQUEST,
            _ALLOWED_REFUSAL[info.allowed],
        )
    if (
        evse_uid is not None
        and info.location is not None
        and info.location.evse_uids
        and evse_uid.upper() not in {e.upper() for e in info.location.evse_uids}
    ):
        return _refuse(
            uid,
            token,
            f"eMSP: ALLOWED, but not at EVSE {evse_uid}",
            AUTH_REQUEST,
            Refusal.NOT_ALLOWED,
        )
    # The eMSP's reference goes on the Session and CDR (OCPI AuthorizationInfo).
    reference = info.authorization_reference
    return _accept(uid, token, "eMSP: ALLOWED", AUTH_REQUEST, reference)


def decide_offline(
    uid: str,
    token: CachedToken | None,
    unknown: UnknownOffline,
    why: str,
    token_type: TokenType = TokenType.RFID,
) -> AuthDecision:
    """Decide without the eMSP (``why`` says why it gave no answer)."""
    if token is None:
        if unknown is UnknownOffline.ALLOW:
            return AuthDecision(
                uid,
                True,
                f"{why}; unknown token allowed by the offline policy",
                token_type=token_type.value,
                method=WHITELIST,
            )
        return _refuse(
            uid,
            None,
            f"{why}; unknown token denied by the offline policy",
            WHITELIST,
            Refusal.UNKNOWN,
        )
    rule = token.whitelist
    if rule is WhitelistType.NEVER:
        return _refuse(
            uid,
            token,
            f"{why}; NEVER needs real-time authorization",
            WHITELIST,
            Refusal.NOT_ALLOWED,
        )
    if not token.valid:
        return _refuse(
            uid,
            token,
            f"{why}; token not valid (local list, {rule.value})",
            WHITELIST,
            Refusal.NOT_VALID,
        )
    return _accept(uid, token, f"{why}; local list ({rule.value})", WHITELIST)
