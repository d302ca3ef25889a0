"""POST a CommandResult to the eMSP's ``response_url``, retried within its lifetime.

The result of a command is only worth delivering while the eMSP still waits for
it: until the ``timeout`` we announced in the CommandResponse. Within that
deadline a failed POST (no answer, HTTP 5xx/408/429, OCPI 3xxx, a malformed
answer) is retried with jittered exponential backoff, honouring ``Retry-After``;
a refusal (HTTP 4xx, OCPI 2xxx) is final. Results do not go through the durable
outbox: after the deadline (or a restart) the eMSP has given up on the result
and learns the outcome from the Sessions module, and OCPI advises against
queueing messages. Times are site seconds of the injected clock.

Results go only where the registration said (:class:`~.peer_policy.Destinations`):
the receiver asks :meth:`ResultPoster.refusal` before it accepts a command, and
every attempt asks again (the registration may have changed meanwhile).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass

from edge.model.clock import Clock
from edge.ocpi import CommandResult
from edge.uplink.ocpi.client import (
    DestinationRefused,
    HttpStatusError,
    OcpiClient,
    OcpiError,
    OcpiStatusError,
    Route,
    backoff_s,
    with_retry_after,
)
from edge.uplink.ocpi.registration import Destinations

log = logging.getLogger(__name__)
RETRY_BASE_S = 1.0
RETRY_MAX_S = 8.0


@dataclass(frozen=True)
class Caller:
    """How to call the eMSP: token C and the routing headers."""

    token: str
    route: Route


def _final(exc: OcpiError) -> bool:
    if isinstance(exc, DestinationRefused):
        return True
    if isinstance(exc, HttpStatusError):
        if 300 <= exc.http_status < 400:
            return True  # a redirect is not followed, so trying again is no use
        return 400 <= exc.http_status < 500 and exc.http_status not in (408, 429)
    if isinstance(exc, OcpiStatusError):
        return 2000 <= exc.status_code < 3000
    return False


class ResultPoster:
    """Deliver command results to the eMSP."""

    def __init__(
        self,
        client: OcpiClient,
        clock: Clock,
        caller: Callable[[], Caller | None],
        destinations: Destinations,
        request_timeout_s: float = 10.0,
        rng: random.Random | None = None,
    ) -> None:
        self.client = client
        self.destinations = destinations
        self.clock = clock
        self.caller = caller
        self.request_timeout_s = request_timeout_s
        self.rng = rng or random.Random()

    def refusal(self, url: str) -> str | None:
        """Why a result may not be POSTed to ``url``, or None if it may."""
        return self.destinations.refusal(url)

    async def post(self, url: str, result: CommandResult, deadline: float) -> bool:
        """POST ``result`` to ``url`` until it is taken or ``deadline`` passes.

        ``deadline`` is on the clock's ``monotonic()``. Returns whether the eMSP
        accepted it; never raises for a failed delivery (it is logged).
        """
        what = f"command result {result.result.value} for {url}"
        body = result.model_dump_ocpi()
        attempt = 0
        while True:
            who = self.caller()
            remaining = deadline - self.clock.monotonic()
            if who is None or remaining <= 0:
                why = "not registered" if who is None else "the command timed out"
                log.error("%s not delivered: %s", what, why)
                return False
            if (refused := self.refusal(url)) is not None:
                log.error("%s not delivered: %s", what, refused)
                return False
            attempt += 1
            wait = max(0.1, min(self.request_timeout_s, self.clock.to_wall(remaining)))
            try:
                await self.client.call(
                    "POST", url, token=who.token, body=body, route=who.route,
                    timeout_s=wait,
                )  # fmt: skip
            except OcpiError as exc:
                if _final(exc):
                    log.error("%s refused: %s", what, exc.reason)
                    return False
                delay = backoff_s(attempt, RETRY_BASE_S, RETRY_MAX_S, self.rng)
                if isinstance(exc, HttpStatusError):
                    delay = with_retry_after(delay, exc.retry_after_s)
                log.warning("%s failed (attempt %d): %s", what, attempt, exc.reason)
                if self.clock.monotonic() + delay >= deadline:
                    log.error("%s not delivered: the command timed out", what)
                    return False
                await self.clock.sleep(delay)
                continue
            log.info("%s delivered", what)
            return True
