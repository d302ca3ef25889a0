"""Exponential backoff with jitter, and the link's up/down state.

Delays are in site seconds (the injected clock): a simulated week-long outage
backs off like a real one, only faster.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

MAX_RETRY_AFTER_S = 86400.0
"""A Retry-After beyond a day is taken as a day."""


def backoff_s(attempt: int, base_s: float, max_s: float, rng: random.Random) -> float:
    """Delay before attempt ``attempt + 1``: doubling from ``base_s``, capped.

    "Equal jitter": half the step is fixed, half random, so retries spread out
    without ever collapsing to zero.
    """
    step = min(max_s, base_s * 2.0 ** min(max(attempt, 1) - 1, 40))
    return step / 2 + rng.uniform(0.0, step / 2)


def with_retry_after(delay_s: float, retry_after_s: float | None) -> float:
    """Honour the receiver's ``Retry-After`` (never retry sooner than it asks)."""
    if retry_after_s is None:
        return delay_s
    return max(delay_s, min(retry_after_s, MAX_RETRY_AFTER_S))


@dataclass
class Link:
    """Whether the receiver is reachable, and when to probe it again.

    One failure per probe round counts (requests that were in flight together
    fail together); while down, one request at a time probes the link.
    """

    base_s: float
    max_s: float
    rng: random.Random
    failures: int = 0
    retry_at: float | None = None
    """Monotonic site time of the next probe; None while the link is up."""
    reason: str | None = None

    @property
    def up(self) -> bool:
        """No failure since the last success."""
        return self.retry_at is None

    def may_probe(self, now: float) -> bool:
        """Whether a probe may go now."""
        return self.retry_at is None or now >= self.retry_at

    def failed(self, now: float, reason: str, retry_after_s: float | None) -> float:
        """Record a link-level failure; return the delay until the next probe."""
        if self.retry_at is not None and now < self.retry_at:
            return self.retry_at - now  # same round: already counted
        self.failures += 1
        self.reason = reason
        delay = with_retry_after(
            backoff_s(self.failures, self.base_s, self.max_s, self.rng), retry_after_s
        )
        self.retry_at = now + delay
        return delay

    def succeeded(self) -> bool:
        """Record a success; return True if the link was down until now."""
        was_down = self.retry_at is not None
        self.failures = 0
        self.retry_at = None
        self.reason = None
        return was_down
