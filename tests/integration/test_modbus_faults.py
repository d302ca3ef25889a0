"""Every injected fault ends in a clear error and the right counter, over a pty."""

from __future__ import annotations

import asyncio

import pytest

from edge.model.events import DeviceReading, DeviceSilent
from edge.model.measurement import Measurement as M

from .modbus_rig import (
    board_on,
    meter_on,
    rtu_line,
    running,
    sim_board,
    sim_meter,
    until,
)

TIMEOUT_S = 0.3


async def first_outcome(fault, device_kind="meter"):
    """Poll one faulty device once; return (outcome, counters, seconds, sim device)."""
    sim = sim_meter(1) if device_kind == "meter" else sim_board(1)
    sim.turnaround_ms = 2
    fault(sim)
    async with rtu_line({1: sim}) as rig:
        sched = rig.scheduler(timeout_s=TIMEOUT_S, retries=0)
        dev = (meter_on if device_kind == "meter" else board_on)(
            sched, 1, interval_s=60
        )
        out: list = []
        dev.subscribe(out.append)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        async with running(sched):
            await until(lambda: out)
        return out[0], dev.counters, loop.time() - t0, dev


async def test_no_answer_is_a_timeout():
    item, c, took, _ = await first_outcome(
        lambda d: setattr(d.faults, "no_answer", True)
    )
    assert isinstance(item, DeviceSilent)
    assert "no answer" in item.error
    assert (c.timeouts, c.crc_errors, c.transactions) == (1, 0, 1)
    assert took >= TIMEOUT_S


async def test_a_bad_crc_fails_at_once_and_never_becomes_a_value():
    item, c, took, dev = await first_outcome(
        lambda d: setattr(d.faults, "crc_error", True)
    )
    assert isinstance(item, DeviceSilent)
    assert "bad CRC" in item.error
    assert (c.crc_errors, c.timeouts, c.answered_count) == (1, 0, 0)
    assert took < TIMEOUT_S  # the whole answer came: no need to wait it out
    assert dev.last == {}


async def test_a_truncated_answer_is_a_framing_error():
    item, c, _, dev = await first_outcome(
        lambda d: setattr(d.faults, "truncated", True)
    )
    assert isinstance(item, DeviceSilent)
    assert "broken answer" in item.error
    assert (c.framing_errors, c.timeouts) == (1, 0)
    assert dev.last == {}


async def test_an_exception_code_is_counted_by_code():
    item, c, _, _ = await first_outcome(
        lambda d: setattr(d.faults, "exception_code", 4)
    )
    assert isinstance(item, DeviceSilent)
    assert "exception 4" in item.error
    assert (c.exceptions, c.exception_codes) == (1, {4: 1})


async def test_slow_answers_show_in_the_latency_until_they_time_out():
    item, c, _, _ = await first_outcome(lambda d: setattr(d.faults, "slow_ms", 60))
    assert isinstance(item, DeviceReading)
    assert c.max_latency_ms >= 60
    item, c, _, _ = await first_outcome(lambda d: setattr(d.faults, "slow_ms", 600))
    assert isinstance(item, DeviceSilent)
    assert c.timeouts == 1


async def test_zeroed_board_registers_are_a_bad_value_not_a_reading():
    item, c, _, dev = await first_outcome(
        lambda d: setattr(d.faults, "zeroed", True), "board"
    )
    assert isinstance(item, DeviceSilent)
    assert "raw value 0" in item.error
    # every frame of the poll was answered (zeros), and the poll is one bad value
    frames = len(dev.poller.cycles[0])
    assert (c.bad_values, c.answered_count) == (1, frames)
    assert dev.last == {}


async def test_a_meter_reset_to_zero_counts_a_regression_and_frozen_values_stay():
    meter = sim_meter(1, 5000.0)
    meter.turnaround_ms = 2
    async with rtu_line({1: meter}) as rig:
        sched = rig.scheduler(timeout_s=TIMEOUT_S)
        dev = meter_on(sched, 1, interval_s=0.005)
        async with running(sched):
            await until(lambda: dev.last.get(M.ENERGY_IMPORT) == pytest.approx(5000))
            meter.freeze()
            meter.add_energy(250.0, (10, 10, 10))
            # two whole polls after the freeze (not a wait for wall time)
            frames = dev.counters.answered_count + 2 * len(dev.poller.cycles[0]) + 1
            await until(lambda: dev.counters.answered_count >= frames)
            assert dev.last[M.ENERGY_IMPORT] == pytest.approx(5000)
            meter.faults.clear()
            await until(lambda: dev.last.get(M.ENERGY_IMPORT) == pytest.approx(5250))
            meter.faults.zeroed = True
            await until(lambda: dev.counters.regressions >= 1)
        assert dev.counters.errors == 0


async def test_a_bad_crc_on_a_healthy_device_is_retried_and_the_value_stays_right():
    meter = sim_meter(1, 7000.0)
    meter.turnaround_ms = 2
    async with rtu_line({1: meter}) as rig:
        sched = rig.scheduler(timeout_s=TIMEOUT_S, retries=1)
        dev = meter_on(sched, 1, interval_s=0.01)
        got: list = []
        dev.subscribe(got.append)
        async with running(sched):
            await until(lambda: dev.last.get(M.ENERGY_IMPORT) == pytest.approx(7000))
            meter.faults.crc_error = True
            meter.add_energy(1000.0, (1, 1, 1))
            await until(lambda: dev.counters.crc_errors >= 2)
            assert dev.last[M.ENERGY_IMPORT] == pytest.approx(7000)
            meter.faults.crc_error = False
            await until(lambda: dev.last.get(M.ENERGY_IMPORT) == pytest.approx(8000))
    assert dev.counters.retries >= 1
    assert all(
        r.values[M.ENERGY_IMPORT] in (pytest.approx(7000), pytest.approx(8000))
        for r in got
        if isinstance(r, DeviceReading)
    )
