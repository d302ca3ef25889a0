"""A 1.6J charger's local list calls, as :mod:`edge.ocpp.local_list` asks them.

The list port of OCPP 1.6 (LocalAuthListManagement): ``LocalAuthListMaxLength``
and ``SendLocalListMaxLength`` by GetConfiguration (a charger that reports
neither is taken to hold :data:`~edge.ocpp.list_plan.DEFAULT_MAX` per message
and list), GetLocalListVersion (-1: no local list), SendLocalList with
``idTag``/``idTagInfo`` entries.
"""

from __future__ import annotations

import logging

from edge.ocpp.calls.outgoing import Answered, NotConnected, OutgoingCalls
from edge.ocpp.calls.v16 import Configuration, Failure, V16Calls
from edge.ocpp.list_plan import DEFAULT_MAX, MAX_ID_TAG, ListLimits, ListUpdate

log = logging.getLogger(__name__)

LOCAL_MAX_KEY = "LocalAuthListMaxLength"
SEND_MAX_KEY = "SendLocalListMaxLength"


def _int_value(found: Configuration | None, name: str) -> int | None:
    value = None if found is None else found.value(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


class V16ListPort:
    """The local list of one connected 1.6J charger."""

    id_max = MAX_ID_TAG
    """The longest idTag a 1.6 list carries."""

    def __init__(self, calls: OutgoingCalls) -> None:
        self._calls = calls

    async def limits(self, timeout_s: float) -> ListLimits | None:
        """Its limits (None: gone, no list for this connection)."""
        outcome = await V16Calls(self._calls).get_configuration(
            [LOCAL_MAX_KEY, SEND_MAX_KEY], timeout_s
        )
        if isinstance(outcome, NotConnected):
            return None
        # No answer, or a refusal: the defaults.
        found = outcome if isinstance(outcome, Configuration) else None
        local_max = _int_value(found, LOCAL_MAX_KEY)
        send_max = _int_value(found, SEND_MAX_KEY)
        if local_max is None or send_max is None:
            log.info(
                "OCPP %s does not report %s; taken as %d",
                self._calls.identity,
                " and ".join(
                    k
                    for k, v in ((LOCAL_MAX_KEY, local_max), (SEND_MAX_KEY, send_max))
                    if v is None
                ),
                DEFAULT_MAX,
            )
        return ListLimits(
            DEFAULT_MAX if local_max is None else max(0, local_max),
            DEFAULT_MAX if send_max is None else max(1, send_max),
        )

    async def version(self, timeout_s: float) -> int | Failure:
        """GetLocalListVersion: the version it holds (-1: it has no local list)."""
        outcome = await self._calls.call("GetLocalListVersion", {}, timeout_s)
        if not isinstance(outcome, Answered):
            return outcome
        return int(outcome.payload["listVersion"])

    async def send(self, update: ListUpdate, timeout_s: float) -> str | Failure:
        """SendLocalList: its status (Accepted, Failed, NotSupported, ...)."""
        outcome = await self._calls.call("SendLocalList", update.payload(), timeout_s)
        if not isinstance(outcome, Answered):
            return outcome
        return str(outcome.payload["status"])
