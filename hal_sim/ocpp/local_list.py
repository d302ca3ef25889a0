"""A simulated charger's local authorization list (1.6 LocalAuthListManagement).

It holds what SendLocalList gave it, as a charger does: a Full list replaces
it, a Differential adds, updates (``idTagInfo`` present) or removes (absent)
entries; a message with more than ``send_max`` entries, or a result with more
than ``local_max``, is answered ``Failed`` and changes nothing; a Differential
whose version is not above the one held is answered ``VersionMismatch``.
Fault injection: :meth:`SimLocalList.answer_next` makes the next SendLocalLists
answer a given status (``VersionMismatch``, ``Failed``) whatever they carry.

:meth:`SimLocalList.authorize` is the charger's own decision from the list,
what it uses while it cannot reach the central system.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class SimLocalList:
    """The list, its version and its limits."""

    local_max: int = 1000
    """``LocalAuthListMaxLength``: entries the list holds at most."""
    send_max: int = 100
    """``SendLocalListMaxLength``: entries one SendLocalList may carry."""
    version: int = 0
    entries: dict[str, str] = field(default_factory=dict)
    """idTag (upper-case) -> status."""
    received: list[dict[str, Any]] = field(default_factory=list)
    """Every SendLocalList payload, in order (for tests)."""
    _forced: list[str] = field(default_factory=list)

    def answer_next(self, *statuses: str) -> None:
        """Answer the next SendLocalLists with these statuses, one each."""
        self._forced.extend(statuses)

    def send_local_list(
        self, list_version: int, update_type: str, items: list[dict[str, Any]]
    ) -> str:
        """Apply one SendLocalList; its status."""
        self.received.append({
            "listVersion": list_version, "updateType": update_type,
            "localAuthorizationList": items,
        })  # fmt: skip
        if self._forced:
            return self._forced.pop(0)
        if len(items) > self.send_max:
            return "Failed"
        full = update_type == "Full"
        if not full and list_version <= self.version:
            return "VersionMismatch"
        after = {} if full else dict(self.entries)
        for item in items:
            tag = str(item["idTag"]).upper()
            info = item.get("idTagInfo")
            if info is None:
                if full:
                    return "Failed"  # a Full list gives every entry its status
                after.pop(tag, None)
            else:
                after[tag] = str(info["status"])
        if len(after) > self.local_max:
            return "Failed"
        self.entries = after
        self.version = list_version
        return "Accepted"

    def authorize(self, id_tag: str) -> str | None:
        """The list's status for ``id_tag`` (None: not on the list)."""
        return self.entries.get(id_tag.upper())
