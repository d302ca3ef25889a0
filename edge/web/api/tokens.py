"""``/api/v1/tokens``: the tokens the site knows; add one; block and unblock a uid.

A page of the token cache (the site file's tokens, ``edge tokens`` ones and those
pulled from the eMSP), oldest update first; uid and contract id redacted. Adding
is ``edge tokens add`` (:func:`edge.auth.local_tokens.add_local_token`); blocking
writes the site's block list, as ``edge tokens block`` does. The running site
picks either up within ``[auth] cache_refresh_s``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import ValidationError

from edge.auth.local_tokens import LocalToken, add_local_token
from edge.model.redact import redact_uid
from edge.model.tokens import CachedToken
from edge.store import tokens as repo
from edge.store.db import StoreHandle
from edge.web.api.models import BlockedDoc, NewToken, TokenDoc, TokenPage
from edge.web.context import WebContext, context_of
from edge.web.errors import ApiProblem

router = APIRouter(tags=["tokens"])
Context = Annotated[WebContext, Depends(context_of)]
TokenUid = Annotated[
    str,
    Path(
        min_length=1,
        max_length=36,
        description="The token's full uid (any letter case)",
        openapi_examples={"card": {"value": "04A23B1C00"}},
    ),
]


@router.get("/tokens", response_model=TokenPage, operation_id="listTokens")
async def list_tokens(
    context: Context,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> TokenPage:
    """A page of the tokens the site knows, oldest update first."""
    snap = await context.db.run(repo.snapshot)
    page = snap.tokens[offset : offset + limit]
    return TokenPage(
        total=len(snap.tokens),
        offset=offset,
        limit=limit,
        tokens=[_doc(t, t.uid.upper() in snap.blocked) for t in page],
    )


def _doc(t: CachedToken, blocked: bool) -> TokenDoc:
    return TokenDoc(
        uid=redact_uid(t.uid),
        type=t.type,
        country_code=t.country_code,
        party_id=t.party_id,
        contract_id=redact_uid(t.contract_id),
        issuer=t.issuer,
        group_id=t.group_id,
        valid=t.valid,
        whitelist=t.whitelist,
        blocked=blocked,
        source=t.source,
        last_updated=t.last_updated,
    )


@router.post(
    "/tokens", response_model=TokenDoc, status_code=201, operation_id="addToken"
)
async def add_token(body: NewToken, context: Context) -> TokenDoc:
    """Add a token by hand (or replace the hand-made one of its uid and type)."""
    token = LocalToken(
        uid=body.uid,
        type=body.type.value,
        contract_id=body.contract_id,
        visual_number=body.visual_number,
        issuer=body.issuer,
        group_id=body.group_id,
        valid=body.valid,
        whitelist=body.whitelist.value,
        language=body.language,
    )
    site = context.config.site
    now = context.clock.utcnow()

    def add(db: StoreHandle) -> tuple[CachedToken, bool]:
        row = add_local_token(db, token, now, (site.country_code, site.party_id))
        return row, row.uid.upper() in repo.blocked_uids(db)

    try:
        row, blocked = await context.db.run(add)
    except ValidationError as exc:  # what the schema above lets through, OCPI refuses
        first = exc.errors()[0]
        field = "body." + ".".join(str(p) for p in first["loc"])
        raise ApiProblem(422, f"{field}: {first['msg']}", field) from None
    return _doc(row, blocked)


async def _block(context: WebContext, uid: str, blocked: bool) -> BlockedDoc:
    now = context.clock.utcnow()
    changed = await context.db.run(
        lambda d: repo.set_blocked(d, uid.upper(), blocked, now)
    )
    return BlockedDoc(blocked=blocked, changed=changed)


@router.post(
    "/tokens/{uid}/block", response_model=BlockedDoc, operation_id="blockToken"
)
async def block(uid: TokenUid, context: Context) -> BlockedDoc:
    """Refuse this uid on this site, whatever its issuer says."""
    return await _block(context, uid, True)


@router.post(
    "/tokens/{uid}/unblock", response_model=BlockedDoc, operation_id="unblockToken"
)
async def unblock(uid: TokenUid, context: Context) -> BlockedDoc:
    """Lift this site's block of the uid."""
    return await _block(context, uid, False)
