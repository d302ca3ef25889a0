"""The simulated eMSP on a thread of the test process, for a controller process."""

from __future__ import annotations

import asyncio
import copy
import threading
from collections.abc import Callable
from typing import TypeVar

from edge.model.clock import SystemClock
from hal_sim.backoffice.server import SimBackoffice
from hal_sim.backoffice.state import BackofficeState

T = TypeVar("T")


class BackofficeThread:
    """``SimBackoffice`` (no fault proxy) served from its own event loop."""

    def __init__(self) -> None:
        self.versions_url = ""
        self.token_a = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._bo: SimBackoffice | None = None
        self._up = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="backoffice")

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # noqa: BLE001 - re-raised in __enter__
            self._error = exc
            self._up.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with SimBackoffice(SystemClock(), proxy=False) as bo:
            self._bo = bo
            self.versions_url, self.token_a = bo.versions_url, bo.token_a
            self._up.set()
            await self._stop.wait()

    def __enter__(self) -> BackofficeThread:
        self._thread.start()
        assert self._up.wait(30), "simulated backoffice did not start"
        if self._error is not None:
            raise self._error
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def read(self, fn: Callable[[BackofficeState], T]) -> T:
        """``fn(state)`` on the backoffice's loop (a consistent view), deep-copied."""
        assert self._loop is not None
        assert self._bo is not None
        state = self._bo.state

        async def call() -> T:
            return copy.deepcopy(fn(state))

        return asyncio.run_coroutine_threadsafe(call(), self._loop).result(30)
