"""Watchdog feeds: rewritten every third of the period, retried, owned by a task."""

from __future__ import annotations

import asyncio
import contextlib
from typing import cast

import pytest

from drivers.errors import DeviceTimeout
from drivers.modbus.client import ModbusClient
from drivers.modbus.scheduler import BusScheduler
from edge.model.clock import ManualClock

from .test_scheduler import ScriptedClient


def feeding(client: ScriptedClient):
    async def run(c) -> None:
        await c.write(5, "feed")

    return run


def writes(client: ScriptedClient) -> int:
    return sum(1 for entry in client.log if entry == ("write", 5, "feed"))


@contextlib.asynccontextmanager
async def bus(client: ScriptedClient, clock: ManualClock):
    sched = BusScheduler("bus", cast(ModbusClient, client), clock)
    task = asyncio.create_task(sched.run())
    try:
        yield sched
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def advance(sched: BusScheduler, clock: ManualClock, seconds: float) -> None:
    """Move site time on and let the bus loop see it (and finish what is due)."""
    clock.advance(seconds)
    sched._wake.set()
    for _ in range(20):
        await asyncio.sleep(0.002)


async def test_a_feed_is_rewritten_every_third_of_the_period() -> None:
    client, clock = ScriptedClient(delay_s=0), ManualClock()
    async with bus(client, clock) as sched:
        feed = sched.feed("E1/board", 5, feeding(client), 60.0)
        await advance(sched, clock, 19.0)
        assert writes(client) == 0  # the caller wrote it just now
        await advance(sched, clock, 1.0)
        assert writes(client) == 1
        await advance(sched, clock, 19.0)
        assert writes(client) == 1
        await advance(sched, clock, 1.0)
        assert (writes(client), feed.fed) == (2, 2)
        sched.unfeed("E1/board")
        await advance(sched, clock, 60.0)
        assert writes(client) == 2


async def test_a_failed_feed_is_retried_soon_and_then_again_every_third() -> None:
    client, clock = ScriptedClient(delay_s=0, retries=1), ManualClock()
    client.failures[5] = [DeviceTimeout("no answer"), DeviceTimeout("no answer")]
    async with bus(client, clock) as sched:
        feed = sched.feed("E1/board", 5, feeding(client), 60.0)
        await advance(sched, clock, 20.0)
        assert (feed.failures, feed.fed) == (1, 0)  # the attempt and its retry
        assert feed.next_due == pytest.approx(clock.monotonic() + 2.0)
        await advance(sched, clock, 2.0)
        assert (feed.failures, feed.fed) == (0, 1)
        assert feed.next_due == pytest.approx(clock.monotonic() + 20.0)


async def test_a_feed_ends_with_the_task_that_owns_it() -> None:
    client, clock = ScriptedClient(delay_s=0), ManualClock()
    async with bus(client, clock) as sched:

        async def controller() -> None:
            me = asyncio.current_task()
            sched.feed("E1/board", 5, feeding(client), 60.0, owner=me)
            await asyncio.Event().wait()

        task = asyncio.create_task(controller())
        await asyncio.sleep(0)
        await advance(sched, clock, 20.0)
        assert writes(client) == 1
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await advance(sched, clock, 60.0)
        assert writes(client) == 1
        assert "E1/board" not in sched.feeds


def test_a_feed_needs_a_period() -> None:
    sched = BusScheduler("bus", cast(ModbusClient, ScriptedClient()), ManualClock())
    with pytest.raises(ValueError, match="positive"):
        sched.feed("E1/board", 5, feeding(ScriptedClient()), 0)
