"""Answer-level faults of the simulated backoffice, switchable at run time.

Latency is added to every request (it is the network's, so it is wall time even
when the site runs on a scaled clock). One-shot faults are queued with
:meth:`Faults.inject` and served to the next matching requests: HTTP 500/503
(with ``Retry-After``, in seconds or as an HTTP-date), a body that is not JSON,
JSON without the OCPI envelope or with a string status code, OCPI 2001 or 3000,
or a timeout (the request hangs). ``after=True`` lets the
request be processed first and spoils only the answer: the client then cannot
know that the object arrived, which is what a lost answer looks like.
Connection-level faults (refused, dropped, black hole) are in
:mod:`hal_sim.backoffice.netem`.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import format_datetime
from enum import StrEnum

from edge.model.clock import Clock, SystemClock
from edge.ocpi import format_ocpi_datetime
from hal_sim.backoffice.exchange import Raw


class Fault(StrEnum):
    """What a spoiled answer looks like."""

    HTTP_500 = "http_500"
    HTTP_503 = "http_503"
    NOT_JSON = "not_json"
    WRONG_ENVELOPE = "wrong_envelope"
    STATUS_2001 = "status_2001"
    STATUS_3000 = "status_3000"
    STATUS_AS_STRING = "status_as_string"
    """An envelope whose status_code is the string "1000" (seen in the field)."""
    TIMEOUT = "timeout"


@dataclass(frozen=True)
class Injection:
    """One queued fault, for any module or one."""

    fault: Fault
    module: str | None = None
    after: bool = False


@dataclass
class Faults:
    """The fault settings; change them at any time."""

    latency_s: float = 0.0
    error_rate: float = 0.0
    """Probability of an HTTP 503 on any request (random, seeded)."""
    retry_after_s: int | None = None
    retry_after_date: bool = False
    """Send ``Retry-After`` as an HTTP-date (now + retry_after_s), not seconds."""
    hang_s: float = 30.0
    queue: deque[Injection] = field(default_factory=deque)
    net: Clock = field(default_factory=SystemClock)
    rng: random.Random = field(default_factory=lambda: random.Random(1))
    served: list[Injection] = field(default_factory=list)

    def inject(
        self,
        fault: Fault | str,
        count: int = 1,
        module: str | None = None,
        *,
        after: bool = False,
    ) -> None:
        """Spoil the next ``count`` answers (of ``module``, if given)."""
        for _ in range(count):
            self.queue.append(Injection(Fault(fault), module, after))

    def clear(self) -> None:
        """No more faults."""
        self.queue.clear()
        self.latency_s = 0.0
        self.error_rate = 0.0

    def take(self, module: str) -> Injection | None:
        """The fault for this request, if any (consumed)."""
        for injection in self.queue:
            if injection.module in (None, module):
                self.queue.remove(injection)
                self.served.append(injection)
                return injection
        if self.error_rate and self.rng.random() < self.error_rate:
            return Injection(Fault.HTTP_503, module)
        return None

    async def delay(self) -> None:
        """The injected network latency."""
        if self.latency_s > 0:
            await self.net.sleep(self.latency_s)

    async def answer(self, injection: Injection, timestamp_now: str) -> Raw:
        """The spoiled answer (a timeout hangs first)."""
        fault = injection.fault
        if fault is Fault.TIMEOUT:
            await self.net.sleep(self.hang_s)
            return Raw("gateway timeout", 504, None)
        headers = {}
        if self.retry_after_s is not None:
            headers["Retry-After"] = str(self.retry_after_s)
            if self.retry_after_date:
                when = self.net.utcnow() + timedelta(seconds=self.retry_after_s)
                headers["Retry-After"] = format_datetime(when, usegmt=True)
        if fault is Fault.HTTP_500:
            return Raw("internal error", 500, None, headers)
        if fault is Fault.HTTP_503:
            return Raw("unavailable", 503, None, headers)
        if fault is Fault.NOT_JSON:
            return Raw("<html><body>Login to the Wi-Fi</body></html>", 200, "text/html")
        if fault is Fault.WRONG_ENVELOPE:
            return Raw('{"result": "ok"}')
        if fault is Fault.STATUS_AS_STRING:
            body = f'{{"status_code": "1000", "timestamp": "{timestamp_now}"}}'
            return Raw(body)
        code = 2001 if fault is Fault.STATUS_2001 else 3000
        body = (
            f'{{"status_code": {code}, "status_message": "injected {fault.value}", '
            f'"timestamp": "{timestamp_now}"}}'
        )
        return Raw(body)


def stamp(clock: Clock) -> str:
    """The envelope timestamp for now."""
    return format_ocpi_datetime(clock.utcnow())
