"""Command futures: a remote command fed to the machine, awaited until its answer.

A command becomes an event carrying a fresh request id; the machine answers it
with :class:`~edge.evse.events.CommandDone` in the step where the outcome
happened (after that step's store writes). A caller that gives up sends
:class:`~edge.evse.events.CancelRequest`, so that the machine drops what it
still waited for.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

from edge.evse.actions import CommandDone
from edge.evse.events import CancelRequest, Event
from edge.model.clock import Clock
from edge.model.commands import CommandOutcome, CommandResult


class CommandRequests:
    """The remote commands one EVSE's machine has not answered yet."""

    def __init__(self, inbox: asyncio.Queue[Event], clock: Clock) -> None:
        self._inbox = inbox
        self._clock = clock
        self._waiting: dict[str, asyncio.Future[CommandResult]] = {}

    async def request(
        self, make: Callable[[str], Event], timeout_s: float
    ) -> CommandResult:
        """Feed the event ``make(request_id)`` and await the machine's answer.

        TIMEOUT after ``timeout_s`` site seconds.
        """
        rid = uuid.uuid4().hex
        fut: asyncio.Future[CommandResult] = asyncio.get_running_loop().create_future()
        self._waiting[rid] = fut
        self._inbox.put_nowait(make(rid))
        try:
            async with asyncio.timeout(self._clock.to_wall(timeout_s)):
                return await fut
        except TimeoutError:
            self._inbox.put_nowait(CancelRequest(rid))
            return CommandResult(
                CommandOutcome.TIMEOUT, f"no outcome within {timeout_s:g} s"
            )
        finally:
            self._waiting.pop(rid, None)

    def answer(self, done: CommandDone) -> None:
        """The machine's answer: wake the caller that waits for it, if any."""
        fut = self._waiting.get(done.request)
        if fut is not None and not fut.done():
            fut.set_result(CommandResult(done.outcome, done.message))
