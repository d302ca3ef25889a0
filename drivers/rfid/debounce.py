"""Pure read filtering: debounce a held card, count frames, rate-limit warnings.

A held card repeats its frame (the RDM6300 about every 100 ms, a polled PN532 on
every poll). :class:`Debouncer` emits a uid once and suppresses it until no frame of
it has been seen for ``hold_s`` seconds; a different card is emitted at once. Each
uid is tracked on its own, so a second card tapped while the first stays in the
field does not make the first one count twice.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field

from drivers.rfid.framing import FrameEvent, FrameRead, FrameRejected, RejectReason

DEFAULT_HOLD_S = 1.0
DEFAULT_WARN_QUIET_S = 60.0


@dataclass(slots=True)
class RfidCounters:
    """Counters of one reader, readable by the rest of the controller.

    ``frames_ok`` counts valid card frames (before debouncing), ``frames_bad`` the
    dropped ones by reason, ``repeats_suppressed`` the valid frames swallowed by the
    debouncer, ``tokens`` the uids emitted. ``port_errors`` and ``last_port_error``
    tell about the serial port (open failures and disconnects).
    """

    frames_ok: int = 0
    frames_bad: dict[RejectReason, int] = field(default_factory=dict)
    repeats_suppressed: int = 0
    tokens: int = 0
    port_errors: int = 0
    last_port_error: str | None = None

    @property
    def frames_bad_total(self) -> int:
        """All dropped frames, whatever the reason."""
        return sum(self.frames_bad.values())

    def snapshot(self) -> RfidCounters:
        """Return an independent copy."""
        return dataclasses.replace(self, frames_bad=dict(self.frames_bad))


class Debouncer:
    """Emit each uid once per presentation."""

    def __init__(self, hold_s: float = DEFAULT_HOLD_S) -> None:
        if hold_s < 0:
            raise ValueError(f"hold_s must not be negative, got {hold_s}")
        self._hold_s = hold_s
        self._last_seen: dict[str, float] = {}

    def accept(self, uid: str, now: float) -> bool:
        """Record a frame of ``uid`` at ``now``; return whether to emit it."""
        self._last_seen = {
            seen_uid: seen
            for seen_uid, seen in self._last_seen.items()
            if now - seen < self._hold_s
        }
        fresh = uid not in self._last_seen
        self._last_seen[uid] = now
        return fresh


class TokenFilter:
    """Frame events in, tokens out: debounce, count, and pick warnings to log.

    A rejection is returned for logging at WARNING when it opens a burst: the first
    of its reason, or the first after a valid frame, or after ``warn_quiet_s`` without
    that reason. The rest of a burst should be logged at DEBUG only; all are counted.
    """

    def __init__(
        self, hold_s: float = DEFAULT_HOLD_S, warn_quiet_s: float = DEFAULT_WARN_QUIET_S
    ) -> None:
        self.counters = RfidCounters()
        self._debouncer = Debouncer(hold_s)
        self._warn_quiet_s = warn_quiet_s
        self._last_bad: dict[RejectReason, float] = {}

    def process(
        self, events: Iterable[FrameEvent], now: float
    ) -> tuple[list[str], list[FrameRejected]]:
        """Count ``events``; return the uids to emit and the rejections to warn on."""
        tokens: list[str] = []
        warnings: list[FrameRejected] = []
        counters = self.counters
        for event in events:
            if isinstance(event, FrameRead):
                counters.frames_ok += 1
                self._last_bad.clear()
                if self._debouncer.accept(event.uid, now):
                    counters.tokens += 1
                    tokens.append(event.uid)
                else:
                    counters.repeats_suppressed += 1
                continue
            reason = event.reason
            counters.frames_bad[reason] = counters.frames_bad.get(reason, 0) + 1
            last = self._last_bad.get(reason)
            if last is None or now - last >= self._warn_quiet_s:
                warnings.append(event)
            self._last_bad[reason] = now
        return tokens, warnings
