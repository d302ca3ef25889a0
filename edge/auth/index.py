"""The in-memory copy of the token cache that every swipe is decided from.

SQLite is the truth; this index mirrors it so that a decision is one dict lookup
on the event loop and never waits behind a database write (a checkpoint's fsync
can take milliseconds on an SD card). It is rebuilt from the database at start-up
and when another process changed the file, and patched after each of our writes.
"""

from __future__ import annotations

from collections.abc import Iterable

from edge.model.tokens import CachedToken, TokenType


class TokenIndex:
    """Cached tokens by (upper-case uid, type), and the operator's blocked uids."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str], CachedToken] = {}
        self._blocked: set[str] = set()

    def __len__(self) -> int:
        return len(self._tokens)

    def lookup(
        self, uid: str, token_type: TokenType = TokenType.RFID
    ) -> CachedToken | None:
        """The token for ``uid``; of several issuers, the most recently updated."""
        return self._tokens.get((uid.upper(), token_type.value))

    def tokens(self) -> list[CachedToken]:
        """Every token held (one per uid and type)."""
        return list(self._tokens.values())

    def blocked(self) -> frozenset[str]:
        """The upper-case uids the site operator blocked."""
        return frozenset(self._blocked)

    def is_blocked(self, uid: str) -> bool:
        """Whether the site operator blocked ``uid``."""
        return uid.upper() in self._blocked

    @classmethod
    def build(cls, tokens: Iterable[CachedToken], blocked: Iterable[str]) -> TokenIndex:
        """A fresh index from every cached row and the block list.

        It is built on the database thread and swapped in, so that reloading
        10,000 tokens never stalls the event loop.
        """
        index = cls()
        for token in tokens:
            _keep_newest(index._tokens, token)
        index._blocked = {u.upper() for u in blocked}
        return index

    def apply(self, uids: Iterable[str], current: Iterable[CachedToken]) -> None:
        """Replace the entries of ``uids`` by the rows the database now holds."""
        for uid in {u.upper() for u in uids}:
            for token_type in TokenType:
                self._tokens.pop((uid, token_type.value), None)
        for token in current:
            _keep_newest(self._tokens, token)

    def set_blocked(self, uid: str, blocked: bool) -> None:
        """Mirror a block or unblock."""
        if blocked:
            self._blocked.add(uid.upper())
        else:
            self._blocked.discard(uid.upper())


def _keep_newest(
    tokens: dict[tuple[str, str], CachedToken], token: CachedToken
) -> None:
    held = tokens.get(token.key)
    if held is None or token.last_updated >= held.last_updated:
        tokens[token.key] = token
