"""Tokens from the eMSP: the paginated pull into a cache, real-time authorization.

Pull: GET the eMSP's token list with ``offset``/``limit``, follow ``Link:
rel="next"`` (same origin only), watch ``X-Total-Count`` (when it drops while
crawling, the current page is fetched again with the offset lowered by the drop,
as OCPI advises), skip and log invalid tokens (the valid ones still count). The
first pull is full; later ones ask ``date_from`` = when the previous successful
pull started, by the eMSP's own clock (its envelope timestamp), so clock skew
loses nothing. Tokens go to a :class:`TokenSink` page by page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from pydantic import TypeAdapter, ValidationError

from edge.model.clock import Clock
from edge.ocpi import (
    AuthorizationInfo,
    LocationReferences,
    Token,
    TokenType,
    describe_validation_error,
    format_ocpi_datetime,
)
from edge.store.db import Database
from edge.store.ocpi_state import get_cursor, save_cursor
from edge.uplink.ocpi.client import (
    HttpStatusError,
    MalformedResponse,
    NotRegistered,
    OcpiClient,
    OcpiStatusError,
    Route,
)

log = logging.getLogger(__name__)
CURSOR = "tokens.date_from"
_INFO = TypeAdapter(AuthorizationInfo)


class TokenSink(Protocol):
    """Where pulled tokens go (the authorization service's cache)."""

    async def upsert_tokens(self, tokens: list[Token]) -> None:
        """Insert or replace these tokens (keyed by country, party, uid, type)."""
        ...


class TokenCache(TokenSink, Protocol):
    """A sink that can also be read back (the Tokens receiver's GET and PATCH)."""

    async def get_token(
        self,
        country_code: str,
        party_id: str,
        uid: str,
        token_type: TokenType = TokenType.RFID,
    ) -> Token | None:
        """The cached token with this key, if any (CiStrings case-insensitive)."""
        ...


class MemoryTokenSink:
    """A token cache in memory (tests, and until a store-backed sink is wired)."""

    def __init__(self) -> None:
        self.tokens: dict[tuple[str, str, str, str], Token] = {}
        self.batches = 0

    async def upsert_tokens(self, tokens: list[Token]) -> None:
        """Keep the newest version of each token."""
        self.batches += 1
        for t in tokens:
            key = (t.country_code.upper(), t.party_id.upper(), t.uid.upper(), t.type)
            self.tokens[key] = t

    async def get_token(
        self,
        country_code: str,
        party_id: str,
        uid: str,
        token_type: TokenType = TokenType.RFID,
    ) -> Token | None:
        """The token with this key, if held."""
        key = (country_code.upper(), party_id.upper(), uid.upper(), token_type.value)
        return self.tokens.get(key)


@dataclass(frozen=True)
class TokenSource:
    """Where to read tokens: the eMSP's tokens SENDER URL, token C, routing."""

    url: str
    token: str
    route: Route


@dataclass(frozen=True)
class PullResult:
    """What one pull did."""

    pages: int
    received: int
    invalid: int
    date_from: str | None
    full: bool


def _with_offset(url: str, offset: int) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query["offset"] = str(max(0, offset))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _same_origin(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.netloc) == (pb.scheme, pb.netloc)


class TokenPuller:
    """Pull the token list into a sink; authorize in real time."""

    def __init__(
        self,
        client: OcpiClient,
        db: Database,
        clock: Clock,
        sink: TokenSink,
        source: Callable[[], TokenSource | None],
        page_limit: int = 100,
    ) -> None:
        self.client = client
        self.db = db
        self.clock = clock
        self.sink = sink
        self.source = source
        self.page_limit = page_limit

    def _valid(self, data: object, url: str) -> tuple[list[Token], int]:
        if not isinstance(data, list):
            raise MalformedResponse(f"GET {url}: data is not a list of tokens", 200)
        good: list[Token] = []
        bad = 0
        for n, item in enumerate(data):
            try:
                good.append(Token.model_validate(item))
            except ValidationError as exc:
                bad += 1
                detail = describe_validation_error(exc, root=f"token[{n}]")
                log.warning("skipping an invalid token from %s: %s", url, detail)
        return good, bad

    async def pull(self) -> PullResult:
        """One pull (full the first time, then incremental); raises OcpiError."""
        src = self.source()
        if src is None:
            raise NotRegistered("no tokens endpoint or token C yet")
        date_from = await self.db.run(lambda db: get_cursor(db.conn, CURSOR))
        params = {"offset": "0", "limit": str(self.page_limit)}
        if date_from:
            params["date_from"] = date_from
        url = f"{src.url}?{urlencode(params)}"
        started = None
        pages = received = invalid = 0
        total: int | None = None
        while True:
            reply = await self.client.call("GET", url, token=src.token, route=src.route)
            started = started or reply.timestamp or self.clock.utcnow()
            shrank = (
                total is not None
                and reply.total_count is not None
                and reply.total_count < total
            )
            if shrank and total is not None and reply.total_count is not None:
                drop = total - reply.total_count
                offset = int(dict(parse_qsl(urlsplit(url).query)).get("offset", 0))
                log.info("token list shrank by %d while paging; re-reading", drop)
                total = reply.total_count
                url = _with_offset(url, offset - drop)
                continue
            total = reply.total_count
            good, bad = self._valid(reply.data, url)
            if good:
                await self.sink.upsert_tokens(good)
            pages, received, invalid = pages + 1, received + len(good), invalid + bad
            if reply.next_url is None:
                break
            if not _same_origin(reply.next_url, src.url):
                raise MalformedResponse(
                    f"Link to another origin refused: {reply.next_url}", 200
                )
            url = reply.next_url
        cursor = format_ocpi_datetime(started)
        await self.db.run(lambda db: save_cursor(db, CURSOR, cursor))
        log.info(
            "pulled %d token(s) in %d page(s)%s",
            received,
            pages,
            f" changed since {date_from}" if date_from else " (full list)",
        )
        return PullResult(pages, received, invalid, date_from, date_from is None)

    async def ask(
        self,
        uid: str,
        location: LocationReferences | None,
        token_type: str = "RFID",  # noqa: S107 - an OCPI TokenType, not a secret
        timeout_s: float = 2.0,
    ) -> AuthorizationInfo | None:
        """Ask the eMSP about ``uid`` now: its answer, or None if it does not know it.

        Raises NotRegistered without a tokens endpoint, OcpiError when there is no
        usable answer (timeout, refused, malformed).
        """
        src = self.source()
        if src is None:
            raise NotRegistered("no tokens endpoint or token C yet")
        url = f"{src.url.rstrip('/')}/{quote(uid, safe='')}/authorize"
        body = location.model_dump_ocpi() if location is not None else None
        try:
            reply = await self.client.call(
                "POST",
                url,
                token=src.token,
                body=body,
                params={"type": token_type},
                route=src.route,
                timeout_s=timeout_s,
            )
        except (OcpiStatusError, HttpStatusError) as exc:
            code = getattr(exc, "status_code", None) or getattr(
                exc, "ocpi_status", None
            )
            if code == 2004 or getattr(exc, "http_status", None) == 404:
                return None
            raise
        return reply.data_as(_INFO, "authorization_info")
