"""Arrival-to-answer timing of OCPP-J frames, the same for both servers.

A CALL's arrival is when the server's link hands its text over (``recv``
returned); its answer is when the server hands the CALLRESULT or CALLERROR
with the same message id to its link (``send`` called). Websocket framing and
the kernel's loopback are outside the span, on both servers alike.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

_HEAD = re.compile(r'\s*\[\s*(\d)\s*,\s*"([^"]*)"(?:\s*,\s*"([^"]*)")?')


class Timings:
    """Every answered CALL: (action, in a transaction, ms, refused, arrival).

    The arrival is ``time.monotonic()`` (CLOCK_MONOTONIC, the same in every
    process of the machine: the chargers' reconnect storm is placed with it).
    """

    def __init__(self) -> None:
        self._pending: dict[tuple[int, str], tuple[float, str, bool]] = {}
        self.rows: list[tuple[str, bool, float, bool, float]] = []

    def arrived(self, link: int, text: str | bytes) -> None:
        if not isinstance(text, str):
            return
        m = _HEAD.match(text)
        if m is None or m.group(1) != "2" or m.group(3) is None:
            return
        in_tx = '"transactionId"' in text
        self._pending[(link, m.group(2))] = (time.monotonic(), m.group(3), in_tx)

    def answered(self, link: int, text: str) -> None:
        m = _HEAD.match(text)
        if m is None or m.group(1) not in ("3", "4"):
            return
        p = self._pending.pop((link, m.group(2)), None)
        if p is not None:
            ms = (time.monotonic() - p[0]) * 1000
            self.rows.append((p[1], p[2], ms, m.group(1) == "4", p[0]))

    def dump(self, path: Path) -> None:
        path.write_text(json.dumps(self.rows))
