"""Our Tokens Receiver interface: the eMSP pushes its tokens to us.

``GET|PUT|PATCH {tokens_url}/{country_code}/{party_id}/{token_uid}[?type=]``
(``type`` defaults to RFID), written to and read from the authorization
service's cache (:class:`~edge.uplink.ocpi.pull.token_pull.TokenCache`).

* PUT carries a whole Token (validated with the strict model); its
  country_code, party_id, uid and type must be the URL's. HTTP 201 when new.
* PATCH carries ``last_updated`` and the changed fields; they are merged into
  the cached token and the result validated as a whole. The key fields cannot
  change. A token we do not hold is HTTP 404, OCPI 2004.
* The URL's party must be one of the caller's parties as its credentials list
  them (HTTP 404 with OCPI 2001 otherwise: a client pushes only its own
  tokens). With no roles on record (a token C installed out of band), any party
  is taken: only the holder of our token B can call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Set

from pydantic import ValidationError
from starlette.requests import Request

from edge.model.redact import redact_uid as _redact
from edge.ocpi import Token, TokenType
from edge.ocpi.common import JsonObject
from edge.ocpi.party import Party
from edge.uplink.ocpi.pull import TokenCache
from edge.uplink.ocpi.serve.answer import (
    Answer,
    Refused,
    invalid,
    invalid_object,
    json_object,
    shown,
)

log = logging.getLogger(__name__)
_KEY_FIELDS = ("country_code", "party_id", "uid", "type")


class TokensReceiver:
    """GET, PUT and PATCH of one eMSP's tokens."""

    def __init__(self, cache: TokenCache, parties: Callable[[], Set[Party]]) -> None:
        self.cache = cache
        self.parties = parties
        """The caller's parties (upper case) from its credentials; empty: unknown."""

    def _key(self, request: Request) -> tuple[str, str, str, TokenType]:
        p = request.path_params
        cc, pid, uid = str(p["country_code"]), str(p["party_id"]), str(p["token_uid"])
        kind = request.query_params.get("type", TokenType.RFID.value)
        try:
            token_type = TokenType(kind)
        except ValueError as exc:
            allowed = ", ".join(t.value for t in TokenType)
            raise invalid(
                f"query parameter type: {shown(kind)} is not one of {allowed}"
            ) from exc
        for name, value, limit in (
            ("country_code", cc, 2),
            ("party_id", pid, 3),
            ("token_uid", uid, 36),
        ):
            if len(value) > limit:
                raise invalid(f"URL {name}: more than {limit} characters")
        known = self.parties()
        if known and Party(cc.upper(), pid.upper()) not in known:
            mine = ", ".join(sorted(str(x) for x in known))
            raise invalid(
                f"URL country_code/party_id {cc}*{pid} is not a party of the "
                f"caller (its credentials list {mine})",
                http_status=404,
            )
        return cc, pid, uid, token_type

    @staticmethod
    def _same_key(
        body: JsonObject, key: tuple[str, str, str, TokenType], method: str
    ) -> None:
        cc, pid, uid, token_type = key
        expected = {
            "country_code": cc,
            "party_id": pid,
            "uid": uid,
            "type": token_type.value,
        }
        for name in _KEY_FIELDS:
            if name not in body:
                continue
            value = body[name]
            same = (
                value == expected[name]
                if name == "type"
                else isinstance(value, str) and value.upper() == expected[name].upper()
            )
            if not same:
                url_name = "token_uid" if name == "uid" else name
                where = "query parameter type" if name == "type" else f"URL {url_name}"
                raise invalid(
                    f"token.{name} {shown(value)} in the {method} body differs from "
                    f"the {where} {expected[name]!r}"
                )

    @staticmethod
    def _unknown(key: tuple[str, str, str, TokenType]) -> Refused:
        cc, pid, uid, token_type = key
        return Refused(
            Answer(
                2004,
                f"unknown token {cc}*{pid} {_redact(uid)} ({token_type.value})",
                http_status=404,
            )
        )

    async def get(self, request: Request) -> Answer:
        """GET the token as we hold it."""
        key = self._key(request)
        token = await self.cache.get_token(*key)
        if token is None:
            raise self._unknown(key)
        return Answer(data=token.model_dump_ocpi())

    async def put(self, request: Request) -> Answer:
        """PUT: store the whole token (new or replacing)."""
        key = self._key(request)
        body = await json_object(request, "token")
        self._same_key(body, key, "PUT")
        try:
            token = Token.model_validate(body)
        except ValidationError as exc:
            raise invalid_object(exc, "token") from exc
        existed = await self.cache.get_token(*key) is not None
        await self.cache.upsert_tokens([token])
        log.info("token %s of %s*%s pushed (PUT)", _redact(key[2]), key[0], key[1])
        return Answer(http_status=200 if existed else 201)

    async def patch(self, request: Request) -> Answer:
        """PATCH: merge the changed fields into the token we hold."""
        key = self._key(request)
        body = await json_object(request, "token")
        if "last_updated" not in body:
            raise invalid("token.last_updated: required in a PATCH")
        self._same_key(body, key, "PATCH")
        stored = await self.cache.get_token(*key)
        if stored is None:
            raise self._unknown(key)
        merged = {**stored.model_dump_ocpi(), **body}
        try:
            token = Token.model_validate(merged)
        except ValidationError as exc:
            raise invalid_object(exc, "token") from exc
        await self.cache.upsert_tokens([token])
        log.info("token %s of %s*%s updated (PATCH)", _redact(key[2]), key[0], key[1])
        return Answer()
