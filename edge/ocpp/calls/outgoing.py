"""Our CALLs to one charger: one in flight, each with its own timeout.

Rules (OCPP-J 1.6 section 4.1.1, issue 13 item 6):

* At most one CALL of ours is outstanding on a connection; a second caller
  waits its turn. Its timeout counts from when it asked, so a queued call that
  never got its turn ends as :class:`TimedOut` without having been sent.
* An answer is taken only if it carries the unique id of the call in flight.
  The call is forgotten *before* its turn is given up, whether it was answered,
  timed out, or its caller was cancelled: an answer that arrives later matches
  nothing and is discarded with a log line, so it can never be taken for the
  reply to the next call (the fault of bmw-wallbox-ha #17).
* The charger's CALLRESULT is checked against the action's result schema; a
  CALLERROR is the charger's refusal, passed on with its code.

Every call returns an :class:`Outcome`; none raises for what the charger did.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from edge.config.ocpp import OcppProtocol
from edge.model.clock import Clock
from edge.ocpp import frames
from edge.ocpp.link import LinkClosed

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answered:
    """The charger answered with a valid CALLRESULT."""

    payload: dict[str, Any]


@dataclass(frozen=True)
class CallFailed:
    """The charger answered with a CALLERROR."""

    code: str
    description: str


@dataclass(frozen=True)
class BadAnswer:
    """The charger's CALLRESULT breaks the action's result schema."""

    violation: frames.Violation


@dataclass(frozen=True)
class TimedOut:
    """No answer within the call's timeout (site seconds)."""

    timeout_s: float
    sent: bool
    """False: the call waited its turn all along and was never sent."""


@dataclass(frozen=True)
class NotConnected:
    """The connection closed before an answer came (or was closed already)."""


Outcome = Answered | CallFailed | BadAnswer | TimedOut | NotConnected


@dataclass
class _InFlight:
    unique_id: str
    action: str
    answer: asyncio.Future[frames.IncomingResult | frames.IncomingError]


class OutgoingCalls:
    """The CALLs of the central system to one connected charger."""

    def __init__(
        self,
        identity: str,
        protocol: OcppProtocol,
        send: Callable[[str], Awaitable[None]],
        clock: Clock,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ) -> None:
        self.identity = identity
        self.protocol = protocol
        self._send = send
        self._clock = clock
        self._new_id = new_id
        self._turn = asyncio.Lock()
        self._in_flight: _InFlight | None = None
        self._closed = False
        self.discarded = 0
        """Answers that matched no call in flight (late or unknown)."""

    async def call(
        self, action: str, payload: dict[str, Any], timeout_s: float
    ) -> Outcome:
        """Send ``action`` and wait at most ``timeout_s`` site seconds for its answer.

        ``payload`` must satisfy the action's request schema: a payload that does
        not is our own bug, raised as ValueError before anything is sent.
        """
        violation = frames.check(self.protocol, action, payload, result=False)
        if violation is not None:
            raise ValueError(f"{action} request breaks its schema: {violation.reason}")
        sent = False
        try:
            async with asyncio.timeout(self._clock.to_wall(timeout_s)):
                async with self._turn:
                    if self._closed:
                        return NotConnected()
                    flight = _InFlight(
                        self._new_id(),
                        action,
                        asyncio.get_running_loop().create_future(),
                    )
                    self._in_flight = flight
                    try:
                        sent = True
                        await self._send(
                            frames.call_frame(flight.unique_id, action, payload)
                        )
                        answer = await flight.answer
                    finally:
                        self._in_flight = None
        except TimeoutError:
            log.warning(
                "OCPP %s: no answer to %s within %.1f s",
                self.identity,
                action,
                timeout_s,
            )
            return TimedOut(timeout_s, sent)
        except LinkClosed:
            return NotConnected()
        return self._outcome(action, answer)

    def _outcome(
        self, action: str, answer: frames.IncomingResult | frames.IncomingError
    ) -> Outcome:
        if isinstance(answer, frames.IncomingError):
            log.info(
                "OCPP %s: %s answered with CALLERROR %s",
                self.identity,
                action,
                answer.code,
            )
            return CallFailed(answer.code, answer.description)
        violation = frames.check(self.protocol, action, answer.payload, result=True)
        if violation is not None:
            log.warning(
                "OCPP %s: the answer to %s breaks its schema (%s): %s",
                self.identity,
                action,
                violation.code,
                violation.reason,
            )
            return BadAnswer(violation)
        return Answered(answer.payload)

    def take(self, answer: frames.IncomingResult | frames.IncomingError) -> bool:
        """Hand an answer from the charger to the call in flight, if it is its."""
        flight = self._in_flight
        if (
            flight is not None
            and flight.unique_id == answer.unique_id
            and not flight.answer.done()
        ):
            flight.answer.set_result(answer)
            return True
        self.discarded += 1
        log.info(
            "OCPP %s: answer %s matches no call in flight (late or unknown); discarded",
            self.identity,
            answer.unique_id,
        )
        return False

    def close(self) -> None:
        """The connection is gone: the call in flight and every later one fail."""
        self._closed = True
        flight = self._in_flight
        if flight is not None and not flight.answer.done():
            flight.answer.set_exception(LinkClosed())
