"""One authorization service for every charger on the site.

Decisions come from an in-memory index of the SQLite token cache (see
:mod:`edge.auth.index`) under the OCPI whitelist rules (see :mod:`edge.auth.rules`);
when the rules call for it, the eMSP is asked in real time through a
:class:`~edge.auth.remote.RemoteAuthorizer` with a short timeout, after which the
offline rules apply. Every decision carries its reason and method. The cache is
seeded from the site file at start-up and fed by the uplink's token pushes and
pulls (:meth:`Authorizer.upsert_tokens`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from edge.auth import rules
from edge.auth.index import TokenIndex
from edge.auth.remote import RemoteAnswer, RemoteAuthorizer, UnknownOffline
from edge.auth.token_mapping import cached_from_ocpi, ocpi_from_cached
from edge.model.authorization import AuthDecision
from edge.model.clock import Clock
from edge.model.redact import redact_uid as redact
from edge.model.tokens import CachedToken, TokenSource, TokenType, WhitelistType
from edge.ocpi import Token
from edge.store import tokens as repo
from edge.store.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LocalToken:
    """A token from the site file (the OCPI Token fields an installer sets)."""

    uid: str
    type: str = "RFID"
    contract_id: str | None = None
    visual_number: str | None = None
    issuer: str = "Local"
    group_id: str | None = None
    valid: bool = True
    whitelist: str = "ALWAYS"
    language: str | None = None

    def seed_hash(self, country_code: str, party_id: str) -> str:
        """A fingerprint of this entry, to notice when the site file changes it."""
        text = json.dumps([country_code, party_id, asdict(self)], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def cached(self, country_code: str, party_id: str, now: datetime) -> CachedToken:
        """The cache row for this entry (contract_id defaults to the uid)."""
        return CachedToken(
            country_code=country_code,
            party_id=party_id,
            uid=self.uid,
            type=TokenType(self.type),
            contract_id=self.contract_id or self.uid,
            issuer=self.issuer,
            valid=self.valid,
            whitelist=WhitelistType(self.whitelist),
            last_updated=now,
            visual_number=self.visual_number,
            group_id=self.group_id,
            language=self.language,
            source=TokenSource.SITE,
        )


def _load_index(db: Any) -> tuple[int, TokenIndex]:
    """On the database thread: the cache's data_version and a fresh index."""
    snap = repo.snapshot(db)
    return snap.data_version, TokenIndex.build(snap.tokens, snap.blocked)


class Authorizer:
    """Decides whether a token may start or stop charging; never raises."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        site_tokens: Iterable[LocalToken] = (),
        *,
        owner: tuple[str, str] = ("NL", "EXA"),
        unknown_offline: UnknownOffline | str = UnknownOffline.DENY,
        remote_timeout_s: float = 2.0,
        remote: RemoteAuthorizer | None = None,
        refresh_s: float = 5.0,
    ) -> None:
        self._db = db
        self._clock = clock
        self._site_tokens = list(site_tokens)
        self._owner = owner
        self._unknown = UnknownOffline(unknown_offline)
        self._timeout_s = remote_timeout_s
        self._remote = remote
        self._refresh_s = refresh_s
        self._index = TokenIndex()
        self._version: int | None = None
        self._start_lock = asyncio.Lock()
        self._started = False
        self._listeners: list[Callable[[], None]] = []

    # ---- life cycle ---------------------------------------------------------------
    async def start(self) -> None:
        """Seed the cache from the site file and load the index (once)."""
        async with self._start_lock:
            if self._started:
                return
            now = self._clock.utcnow()
            cc, pid = self._owner
            seed = [
                (t.cached(cc, pid, now), t.seed_hash(cc, pid))
                for t in self._site_tokens
            ]
            result = await self._db.run(lambda db: repo.seed_site_tokens(db, seed))
            log.info(
                "site tokens: %d added, %d updated, %d removed",
                result.added,
                result.updated,
                result.removed,
            )
            await self.reload()
            self._started = True

    async def run(self) -> None:
        """Pick up changes other processes (``edge tokens``) make, until cancelled.

        The interval is in wall seconds: it is about an operator at a terminal.
        """
        await self.start()
        while True:
            await self._clock.sleep(self._clock.from_wall(self._refresh_s))
            await self.refresh()

    async def reload(self) -> None:
        """Rebuild the index from the database."""
        self._version, self._index = await self._db.run(_load_index)
        log.info("token cache: %d tokens", len(self._index))
        self._changed()

    # ---- change notification (the chargers' local lists follow the cache) --------
    def on_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after every change of the tokens or the block list.

        Called on the event loop once the change is in the database and in the
        index; it must not block (set an event, and read :meth:`tokens` later).
        """
        self._listeners.append(callback)

    def _changed(self) -> None:
        for callback in self._listeners:
            try:
                callback()
            except Exception:  # a listener's bug must not fail a token write
                log.exception("a token change listener failed")

    def tokens(self) -> list[CachedToken]:
        """Every cached token, from memory (one per uid and type)."""
        return self._index.tokens()

    def blocked(self) -> frozenset[str]:
        """The upper-case uids the site operator blocked, from memory."""
        return self._index.blocked()

    async def refresh(self) -> bool:
        """Reload if another connection changed the database; True if it did."""
        version = await self._db.run(repo.data_version)
        if version == self._version:
            return False
        await self.reload()
        return True

    def use_remote(self, remote: RemoteAuthorizer | None) -> None:
        """Attach (or detach) the uplink's real-time authorization."""
        self._remote = remote

    # ---- decisions ----------------------------------------------------------------
    def lookup(
        self, uid: str, token_type: TokenType = TokenType.RFID
    ) -> CachedToken | None:
        """The cached token for ``uid``, from memory."""
        return self._index.lookup(uid, token_type)

    async def authorize(
        self,
        uid: str,
        token_type: TokenType = TokenType.RFID,
        evse_uid: str | None = None,
    ) -> AuthDecision:
        """Decide about ``uid``; the decision's uid is upper-cased."""
        if not self._started:
            try:
                await self.start()
            except Exception:
                log.exception("token cache unavailable; deciding without it")
        key = uid.upper()
        token = self._index.lookup(key, token_type)
        local = rules.decide_local(key, token, self._index.is_blocked(key))
        if local is not None:
            return local
        answer = await self._ask(key, token_type, evse_uid)
        if isinstance(answer, str):
            decision = rules.decide_offline(
                key, token, self._unknown, answer, token_type
            )
        else:
            decision = rules.decide_remote(key, token, answer, evse_uid)
            if answer.info is not None:
                await self._remember(answer.info.token)
        log.info(
            "token %s: %s (%s)",
            redact(key),
            "accepted" if decision.accepted else "refused",
            decision.reason,
        )
        return decision

    async def _ask(
        self, uid: str, token_type: TokenType, evse_uid: str | None
    ) -> RemoteAnswer | str:
        """The eMSP's answer, or why there is none."""
        remote = self._remote
        if remote is None:
            return "no uplink for real-time authorization"
        try:
            async with asyncio.timeout(self._clock.to_wall(self._timeout_s)):
                answer = await remote.authorize_remote(uid, token_type, evse_uid)
        except TimeoutError:
            return f"eMSP did not answer within {self._timeout_s:g} s"
        except Exception as exc:
            log.warning(
                "real-time authorization of %s failed", redact(uid), exc_info=True
            )
            return f"eMSP error ({type(exc).__name__})"
        if answer is None:
            return "eMSP unreachable"
        return answer

    async def _remember(self, token: Token) -> None:
        """Cache the token a real-time answer carried (newer wins)."""
        try:
            await self.upsert_tokens([token])
        except Exception:
            log.exception("could not cache token %s", redact(token.uid))

    # ---- cache writes (the uplink's token push and pull) --------------------------
    async def upsert_tokens(self, tokens: Sequence[Token]) -> None:
        """Store OCPI Tokens; a token older than the cached copy is ignored."""
        if not tokens:
            return
        rows = [cached_from_ocpi(t, TokenSource.OCPI) for t in tokens]
        result = await self._db.run(lambda db: repo.upsert_tokens(db, rows))
        self._index.apply((t.uid for t in rows), result.current)
        if result.applied:
            self._changed()
        log.info(
            "tokens: %d stored, %d older than cached", result.applied, result.skipped
        )

    async def get_token(
        self,
        country_code: str,
        party_id: str,
        uid: str,
        token_type: TokenType = TokenType.RFID,
    ) -> Token | None:
        """A cached token as the OCPI Receiver GET returns it."""
        row = await self._db.run(
            lambda db: repo.get(db, country_code, party_id, uid, token_type)
        )
        return None if row is None else ocpi_from_cached(row)

    async def latest_update(self, country_code: str, party_id: str) -> datetime | None:
        """The newest ``last_updated`` cached from an eMSP (for an incremental pull)."""
        return await self._db.run(
            lambda db: repo.latest_update(db, country_code, party_id)
        )

    async def set_blocked(self, uid: str, blocked: bool) -> bool:
        """Block or unblock a card at this site; False if nothing changed."""
        now = self._clock.utcnow()
        changed = await self._db.run(lambda db: repo.set_blocked(db, uid, blocked, now))
        self._index.set_blocked(uid, blocked)
        if changed:
            self._changed()
        return changed
