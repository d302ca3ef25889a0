"""A 2.0.1 station's local list calls, as :mod:`edge.ocpp.local_list` asks them.

The list port of OCPP 2.0.1 (functional block D, Local Authorization List
Management), beside :mod:`.local_list_v16`: the same planner and store, in
2.0.1's words.

* **Limits** by GetVariables of the ``LocalAuthListCtrlr`` component:
  ``Enabled`` (a station that reports it false, or has no such component,
  gets no list on this connection, with a log line), ``ItemsPerMessage``
  (the spec's ItemsPerMessageSendLocalList: entries per SendLocalList) and
  ``BytesPerMessage`` (the spec's BytesPerMessageSendLocalList: each message
  then carries at most as many entries as fit, counted at the longest entry
  our frames can hold), ``Entries`` (how many it holds now; logged). How many
  it can hold is the ``maxLimit`` *characteristic* of ``Entries``, which only
  GetReport tells, not GetVariables: a station is taken to hold
  :data:`~edge.ocpp.list_plan.DEFAULT_MAX`, as a 1.6 charger that does not
  report LocalAuthListMaxLength is. No answer, or a refusal: the defaults.
* **Version** by GetLocalListVersion (``versionNumber``; 0: no list).
* **SendLocalList** with ``versionNumber`` and entries of ``idToken``
  (type ISO14443: the list holds RFID cards) and ``idTokenInfo``; a removal
  is an entry without ``idTokenInfo``. Its answer is Accepted, Failed or
  VersionMismatch (2.0.1 has no NotSupported).
"""

from __future__ import annotations

import logging
from typing import Any

from edge.ocpp import frames
from edge.ocpp.calls.outgoing import Answered, NotConnected, OutgoingCalls
from edge.ocpp.calls.v16 import Failure
from edge.ocpp.calls.v201 import GetVariableStatus, GotVariable, V201Calls, Variable
from edge.ocpp.list_plan import DEFAULT_MAX, IdStatus, ListLimits, ListUpdate

log = logging.getLogger(__name__)

ID_TOKEN_MAX = 36
"""A 2.0.1 ``idToken`` is at most 36 characters."""
COMPONENT = "LocalAuthListCtrlr"
ENABLED = Variable(COMPONENT, "Enabled")
ITEMS = Variable(COMPONENT, "ItemsPerMessage")
BYTES = Variable(COMPONENT, "BytesPerMessage")
ENTRIES = Variable(COMPONENT, "Entries")


def payload(update: ListUpdate) -> dict[str, Any]:
    """The 2.0.1 SendLocalListRequest of ``update``."""
    out: dict[str, Any] = {
        "versionNumber": update.version,
        "updateType": "Full" if update.full else "Differential",
    }
    entries = [_entry(tag, status) for tag, status in update.entries]
    if entries:  # the schema wants at least one, or none at all
        out["localAuthorizationList"] = entries
    return out


def _entry(tag: str, status: IdStatus | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"idToken": {"idToken": tag, "type": "ISO14443"}}
    if status is not None:
        entry["idTokenInfo"] = {"status": status.value}
    return entry


def _frame_bytes(entries: int) -> int:
    """The longest SendLocalList frame of ``entries`` entries we could send."""
    longest = ("X" * ID_TOKEN_MAX, IdStatus.ACCEPTED)
    update = ListUpdate(2**31 - 1, False, (longest,) * entries)
    frame = frames.call_frame("0" * 36, "SendLocalList", payload(update))
    return len(frame.encode())


def entries_within(byte_limit: int) -> int:
    """How many entries a SendLocalList of at most ``byte_limit`` bytes carries."""
    empty, one = _frame_bytes(0), _frame_bytes(1)
    per_entry = _frame_bytes(2) - one  # with the comma between two
    if byte_limit < one:
        return 1  # none fits: one at a time is all we can do
    return 1 + (byte_limit - one) // per_entry if one > empty else 1


def _int(found: dict[Variable, GotVariable], variable: Variable) -> int | None:
    got = found.get(variable)
    if got is None or got.status is not GetVariableStatus.ACCEPTED:
        return None
    try:
        return int(got.value or "")
    except ValueError:
        return None


class V201ListPort:
    """The local list of one connected 2.0.1 station."""

    id_max = ID_TOKEN_MAX

    def __init__(self, calls: OutgoingCalls) -> None:
        self._calls = calls

    async def limits(self, timeout_s: float) -> ListLimits | None:
        """Its limits (None: gone, or no local list enabled on it)."""
        ident = self._calls.identity
        outcome = await V201Calls(self._calls).get_variables(
            [ENABLED, ITEMS, BYTES, ENTRIES], timeout_s
        )
        if isinstance(outcome, NotConnected):
            return None
        found = (
            {} if not isinstance(outcome, tuple) else {g.variable: g for g in outcome}
        )
        enabled = found.get(ENABLED)
        if enabled is not None:
            if enabled.status is GetVariableStatus.UNKNOWN_COMPONENT:
                log.info("OCPP %s has no %s: no local list", ident, COMPONENT)
                return None
            if (
                enabled.status is GetVariableStatus.ACCEPTED
                and (enabled.value or "").strip().lower() == "false"
            ):
                log.info(
                    "OCPP %s: %s.Enabled is false; no local list sent", ident, COMPONENT
                )
                return None
        items = _int(found, ITEMS)
        send_max = DEFAULT_MAX if items is None else max(1, items)
        byte_limit = _int(found, BYTES)
        if byte_limit is not None:
            send_max = min(send_max, entries_within(byte_limit))
        held = _int(found, ENTRIES)
        log.info(
            "OCPP %s: local list of up to %d entries (the default: GetVariables "
            "cannot read Entries' maxLimit), %d per message%s",
            ident,
            DEFAULT_MAX,
            send_max,
            "" if held is None else f"; it holds {held} now",
        )
        return ListLimits(DEFAULT_MAX, send_max)

    async def version(self, timeout_s: float) -> int | Failure:
        """GetLocalListVersion: the version it holds (0: none)."""
        outcome = await self._calls.call("GetLocalListVersion", {}, timeout_s)
        if not isinstance(outcome, Answered):
            return outcome
        return int(outcome.payload["versionNumber"])

    async def send(self, update: ListUpdate, timeout_s: float) -> str | Failure:
        """SendLocalList: its status (Accepted, Failed or VersionMismatch)."""
        outcome = await self._calls.call("SendLocalList", payload(update), timeout_s)
        if not isinstance(outcome, Answered):
            return outcome
        return str(outcome.payload["status"])
