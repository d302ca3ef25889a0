"""StallFreeClock: site time that a stall of its process does not advance."""

from __future__ import annotations

import asyncio
import time

import pytest

from edge.model.clock import StallFreeClock


def test_a_stall_of_the_process_is_not_site_time() -> None:
    clock = StallFreeClock(100.0, max_gap_wall_s=0.02, tick_wall_s=0.005)
    before = clock.monotonic()
    # no reading for 0.3 s of wall time, while the process computed nothing
    time.sleep(0.3)
    after = clock.monotonic()
    assert after >= before  # monotonic
    # at most the allowed gap counts (plus this process's own CPU time)
    assert after - before < 100.0 * 0.3 / 2
    assert clock.lost_wall_s > 0.3 / 2


def test_computing_is_not_a_stall() -> None:
    clock = StallFreeClock(100.0, max_gap_wall_s=0.02, tick_wall_s=0.005)
    # The clock first: its CPU window then holds the whole busy loop (read the
    # other way round, a loaded machine's descheduling left it 3 us short).
    before = clock.monotonic()
    cpu0 = time.process_time()
    while time.process_time() - cpu0 < 0.2:  # busy, not stalled
        pass
    # all the CPU time the process ran counts as site time
    assert clock.monotonic() - before >= 100.0 * 0.2 - 1e-9


async def test_sleep_waits_its_whole_site_time_across_a_stall() -> None:
    clock = StallFreeClock(100.0, max_gap_wall_s=0.02, tick_wall_s=0.005)
    async with clock.ticking():
        start = clock.monotonic()
        sleeper = asyncio.create_task(clock.sleep(20.0))  # 0.2 s of wall time
        await asyncio.sleep(0.05)
        time.sleep(0.3)  # the loop stalls past the sleeper's wall deadline
        await sleeper
        assert clock.monotonic() - start >= 20.0
        assert clock.lost_wall_s > 0.2


async def test_an_idle_loop_keeps_site_time_running_while_ticking() -> None:
    clock = StallFreeClock(100.0, max_gap_wall_s=0.02, tick_wall_s=0.005)
    async with clock.ticking():
        lost0, start, wall0 = clock.lost_wall_s, clock.monotonic(), time.monotonic()
        await asyncio.sleep(0.3)  # nothing reads the clock but the ticker
        elapsed, wall = clock.monotonic() - start, time.monotonic() - wall0
        lost = clock.lost_wall_s - lost0
    # the wall time counts but for the stalls the ticker saw (none when idle on
    # a quiet machine; a busy one may not run this process for a while)
    assert elapsed == pytest.approx(100.0 * (wall - lost), abs=0.1)
    assert elapsed > 0


def test_the_tick_must_be_shorter_than_the_gap() -> None:
    with pytest.raises(ValueError, match="tick"):
        StallFreeClock(10.0, max_gap_wall_s=0.01, tick_wall_s=0.01)
