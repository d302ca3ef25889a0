"""The eMSP's Tokens Sender interface: the paginated list and real-time authorize.

GET: ``date_from`` (inclusive), ``date_to`` (exclusive), ``offset``, ``limit``;
oldest first (by creation); ``X-Total-Count``, ``X-Limit`` (our page cap) and a
``Link: <...>; rel="next"`` carrying the original filters while pages remain.
POST ``{uid}/authorize[?type=]``: the AuthorizationInfo for a known token, HTTP
404 with OCPI 2004 (no data) for an unknown one, 2002 when a location is
required and none was given.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit

from edge.model.clock import Clock
from edge.ocpi import (
    AllowedType,
    AuthorizationInfo,
    LocationReferences,
    Token,
    TokenType,
    parse_ocpi_datetime,
)
from hal_sim.backoffice.exchange import Call
from hal_sim.backoffice.receivers import Answer, Refused, bad, validated
from hal_sim.backoffice.state import BackofficeState, Registration


def sample_tokens(
    count: int, start: datetime, country_code: str = "DE", party_id: str = "MSP"
) -> list[Token]:
    """``count`` RFID tokens, one second apart from ``start``."""
    return [
        Token.model_validate(
            {
                "country_code": country_code,
                "party_id": party_id,
                "uid": f"{0x04A00000 + n:08X}",
                "type": "RFID",
                "contract_id": f"{country_code}-{party_id}-C{n:08d}",
                "issuer": "Simulated eMSP",
                "valid": True,
                "whitelist": "ALLOWED",
                "last_updated": start.replace(microsecond=0) + timedelta(seconds=n),
            }
        )
        for n in range(count)
    ]


def _time(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_ocpi_datetime(value)
    except ValueError as exc:
        raise Refused(bad(f"{name}: {exc}")) from exc


def _int(value: str | None, name: str, default: int, minimum: int) -> int:
    if value is None:
        return default
    if not value.isdigit() or int(value) < minimum:
        raise Refused(bad(f"{name} must be an integer >= {minimum}"))
    return int(value)


class TokenList:
    """The tokens this eMSP issued, in creation order."""

    def __init__(
        self, state: BackofficeState, clock: Clock, page_limit: int, tokens: list[Token]
    ) -> None:
        self.state = state
        self.clock = clock
        self.page_limit = page_limit
        self.require_location = False
        self.mangled: dict[str, dict[str, object]] = {}
        """uid -> fields served instead (an eMSP that sends an invalid token)."""
        self.before_page: Callable[[int], None] | None = None
        """Called with the offset before a page is built (the list may change
        while a client crawls it)."""
        self.link_origin: str | None = None
        """Another ``scheme://host:port`` for the ``Link`` (a misconfigured proxy)."""
        state.tokens.extend(tokens)

    def add(self, token: Token) -> None:
        """A new token (last in creation order)."""
        self.state.tokens.append(token)

    def update(self, uid: str, **changes: object) -> Token:
        """Change a token now (its ``last_updated`` becomes the clock's now)."""
        for n, token in enumerate(self.state.tokens):
            if token.uid == uid:
                new = replace_token(
                    token, {**changes, "last_updated": self.clock.utcnow()}
                )
                self.state.tokens[n] = new
                return new
        raise KeyError(uid)

    async def list(self, call: Call, reg: Registration | None, body: object) -> Answer:
        """GET the token list, paginated."""
        q = call.query
        date_from = _time(q.get("date_from"), "date_from")
        date_to = _time(q.get("date_to"), "date_to")
        offset = _int(q.get("offset"), "offset", 0, 0)
        limit = min(_int(q.get("limit"), "limit", self.page_limit, 1), self.page_limit)
        if self.before_page is not None:
            self.before_page(offset)
        matching = [
            t
            for t in self.state.tokens
            if (date_from is None or t.last_updated >= date_from)
            and (date_to is None or t.last_updated < date_to)
        ]
        page = matching[offset : offset + limit]
        headers = {"X-Total-Count": str(len(matching)), "X-Limit": str(self.page_limit)}
        if offset + limit < len(matching):
            params = {k: v for k, v in q.items() if k in ("date_from", "date_to")}
            params.update(offset=str(offset + limit), limit=str(limit))
            url = urlsplit(call.url)._replace(query=urlencode(params)).geturl()
            if self.link_origin is not None:
                parts = urlsplit(url)
                url = f"{self.link_origin}{parts.path}?{parts.query}"
            headers["Link"] = f'<{url}>; rel="next"'
        data = [{**t.model_dump_ocpi(), **self.mangled.get(t.uid, {})} for t in page]
        return Answer(data=data, headers=headers)

    async def authorize(
        self, call: Call, reg: Registration | None, body: object
    ) -> Answer:
        """POST real-time authorization of one token."""
        uid = call.path_params["uid"]
        kind = call.query.get("type", "RFID")
        where = None
        if body is not None:
            where = validated(LocationReferences, body, "location_references")
        elif self.require_location:
            raise Refused(bad("location references needed", 2002))
        try:
            token_type = TokenType(kind)
        except ValueError as exc:
            raise Refused(bad(f"type {kind!r} is not a TokenType")) from exc
        token = next(
            (t for t in self.state.tokens if t.uid == uid and t.type is token_type),
            None,
        )
        if token is None:
            return Answer(2004, f"unknown token {uid}", http_status=404)
        info = AuthorizationInfo(
            allowed=AllowedType.ALLOWED if token.valid else AllowedType.BLOCKED,
            token=token,
            location=where,
            authorization_reference=uuid.uuid4().hex[:20],
        )
        return Answer(data=info.model_dump_ocpi())


def replace_token(token: Token, changes: dict[str, object]) -> Token:
    """A validated copy of ``token`` with ``changes``."""
    return Token.model_validate({**token.model_dump(), **changes})
