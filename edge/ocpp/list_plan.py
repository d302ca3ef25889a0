"""A charger's local authorization list: what it should hold, what to send it.

Pure functions, no IO (:mod:`edge.ocpp.local_list` runs them against a charger).

**What goes on the list** (:func:`select`), from the token cache under the OCPI
whitelist rules (reference ``ocpp-1.6j.md``, local list): RFID tokens only (an
idTag is what a card reader reads), their uid upper-cased (a CiString), at most
20 characters (1.6's ``IdToken``, 36 for 2.0.1; longer ones cannot be listed
and are counted):

* ``Blocked``: every uid the site operator blocked;
* ``Accepted``: valid tokens whose whitelist is ``ALWAYS`` or ``ALLOWED``;
  ``ALLOWED_OFFLINE`` and ``NEVER`` ones stay off (the eMSP is to be asked
  while we can ask; a charger with the list may start without asking);
* ``Invalid``: tokens the eMSP made invalid, so that a charger's authorization
  cache (which the list overrides) cannot start them offline.

**When the whole list does not fit** the charger's ``LocalAuthListMaxLength``,
the most useful subset is kept, in this order: the operator's blocks (few, and
each one a decision someone made), then accepted tokens of the site file and
``edge tokens`` (the site's own cards), then accepted eMSP tokens newest first
(a recently updated token is more likely in use), then invalid tokens newest
first. Ties are broken by idTag, so that the choice is stable.

**How it is sent** (:func:`plan`): with nothing known of what the charger holds,
a Full list of the first ``SendLocalListMaxLength`` entries, then Differential
chunks for the rest; otherwise Differential chunks of what changed, removals
first, so that the list never outgrows what it holds before and after. Every
message carries the version after it is applied, one more than the last.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from edge.model.tokens import CachedToken, TokenSource, TokenType, WhitelistType

MAX_ID_TAG = 20
"""Characters of a 1.6 ``IdToken`` (2.0.1's ``idToken`` has 36)."""
DEFAULT_MAX = 100
"""Entries per list and per message for a charger that does not report its own."""

_LISTED = frozenset({WhitelistType.ALWAYS, WhitelistType.ALLOWED})


class IdStatus(StrEnum):
    """A local list entry's ``idTagInfo.status`` (1.6 ``AuthorizationStatus``)."""

    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"


@dataclass(frozen=True)
class ListLimits:
    """How much a charger's list holds, and how much one SendLocalList may carry."""

    local_max: int
    send_max: int


@dataclass(frozen=True)
class Selection:
    """The entries to hold, in priority order, and what did not fit."""

    entries: dict[str, IdStatus]
    left_out: int
    """Entries that would be listed but exceed the charger's capacity."""
    too_long: int
    """Tokens whose uid is longer than an idTag may be."""
    kept: dict[IdStatus, int]
    """How many of each status were kept."""


def _rank(t: CachedToken) -> tuple[int, float, str]:
    uid = t.uid.upper()
    if t.valid and t.whitelist in _LISTED:
        own = t.source in (TokenSource.SITE, TokenSource.CLI)
        return (1 if own else 2, -t.last_updated.timestamp(), uid)
    return (3, -t.last_updated.timestamp(), uid)


def select(
    tokens: Iterable[CachedToken],
    blocked: Iterable[str],
    capacity: int,
    max_len: int = MAX_ID_TAG,
) -> Selection:
    """The entries a charger holding at most ``capacity`` should have.

    ``max_len``: the longest idTag the charger's protocol can carry.
    """
    candidates: list[tuple[tuple[int, float, str], str, IdStatus]] = []
    blocks = {b.upper() for b in blocked}
    too_long = 0
    for uid in blocks:
        if len(uid) > max_len:
            too_long += 1
        else:
            candidates.append(((0, 0.0, uid), uid, IdStatus.BLOCKED))
    for t in tokens:
        uid = t.uid.upper()
        if t.type is not TokenType.RFID or uid in blocks:
            continue
        if not t.valid:
            status = IdStatus.INVALID
        elif t.whitelist in _LISTED:
            status = IdStatus.ACCEPTED
        else:
            continue
        if len(uid) > max_len:
            too_long += 1
            continue
        candidates.append((_rank(t), uid, status))
    candidates.sort(key=lambda c: c[0])
    entries: dict[str, IdStatus] = {}
    for _, uid, status in candidates:
        if uid not in entries:
            entries[uid] = status
    kept = dict(list(entries.items())[: max(0, capacity)])
    counts = {s: sum(1 for v in kept.values() if v is s) for s in IdStatus}
    return Selection(kept, len(entries) - len(kept), too_long, counts)


@dataclass(frozen=True)
class ListUpdate:
    """One SendLocalList: the version after it, Full or Differential, its entries.

    An entry's status None removes its idTag (Differential only).
    """

    version: int
    full: bool
    entries: tuple[tuple[str, IdStatus | None], ...]

    def payload(self) -> dict[str, object]:
        """The SendLocalList.req payload."""
        return {
            "listVersion": self.version,
            "updateType": "Full" if self.full else "Differential",
            "localAuthorizationList": [
                {"idTag": tag}
                if status is None
                else {"idTag": tag, "idTagInfo": {"status": status.value}}
                for tag, status in self.entries
            ],
        }


def apply(
    held: Mapping[str, IdStatus] | None, update: ListUpdate
) -> dict[str, IdStatus]:
    """What a charger holds after ``update`` (as 1.6 says it applies it)."""
    after: dict[str, IdStatus] = {} if update.full or held is None else dict(held)
    for tag, status in update.entries:
        if status is None:
            after.pop(tag, None)
        else:
            after[tag] = status
    return after


def _chunks(
    items: list[tuple[str, IdStatus | None]], size: int
) -> Iterable[list[tuple[str, IdStatus | None]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def plan(
    held: Mapping[str, IdStatus] | None,
    wanted: Mapping[str, IdStatus],
    send_max: int,
    version: int,
) -> list[ListUpdate]:
    """The SendLocalLists that turn ``held`` into ``wanted``, after ``version``.

    ``held`` None: what the charger holds is not known (after a boot, a version
    mismatch or a failure), so a Full list comes first. Nothing to change: [].
    """
    size = max(1, send_max)
    items: list[tuple[str, IdStatus | None]] = list(wanted.items())
    updates: list[ListUpdate] = []
    if held is None:
        updates.append(ListUpdate(version + 1, True, tuple(items[:size])))
        rest = items[size:]
    else:
        removals: list[tuple[str, IdStatus | None]] = [
            (tag, None) for tag in held if tag not in wanted
        ]
        changes = [(t, s) for t, s in items if held.get(t) is not s]
        rest = removals + changes
    for chunk in _chunks(rest, size):
        updates.append(ListUpdate(version + len(updates) + 1, False, tuple(chunk)))
    return updates


def describe(selection: Selection, capacity: int) -> str:
    """The log line's text for a list that did not fit."""
    k = selection.kept
    return (
        f"holds at most {capacity} entries; {selection.left_out} left out. Kept "
        f"{k[IdStatus.BLOCKED]} blocked, {k[IdStatus.ACCEPTED]} accepted (site cards "
        f"first, then eMSP cards newest first) and {k[IdStatus.INVALID]} invalid"
    )
