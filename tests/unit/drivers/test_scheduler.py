"""The bus scheduler against a scripted client: order, retries, backoff, counters."""

from __future__ import annotations

import asyncio
import contextlib
from typing import cast

import pytest

from drivers.errors import DeviceFault, DeviceTimeout
from drivers.modbus.client import Endpoint, FrameError, ModbusClient
from drivers.modbus.coalesce import ReadBlock
from drivers.modbus.profile import Function
from drivers.modbus.scheduler import BusScheduler, Poller
from edge.model.clock import SystemClock


class ScriptedClient:
    """Answers after ``delay_s``; a unit in ``silent`` times out after ``timeout_s``."""

    def __init__(self, delay_s=0.005, timeout_s=0.03, retries=1):
        self.endpoint = Endpoint(
            "tcp", "127.0.0.1", 1, timeout_s=timeout_s, retries=retries
        )
        self.answer_timeout_s = timeout_s
        self.last_latency_s = 0.0
        self.delay_s = delay_s
        self.silent: set[int] = set()
        self.failures: dict[int, list[Exception]] = {}
        self.log: list[tuple[str, int, int]] = []

    async def read(self, unit, function, address, count):
        self.log.append(("read", unit, address))
        if unit in self.silent:
            await asyncio.sleep(self.answer_timeout_s)
            raise DeviceTimeout(f"unit {unit}: no answer")
        await asyncio.sleep(self.delay_s)
        queued = self.failures.get(unit)
        if queued:
            raise queued.pop(0)
        self.last_latency_s = self.delay_s
        return [unit] * count

    async def write(self, unit, value):
        self.log.append(("write", unit, value))
        await asyncio.sleep(self.delay_s)
        queued = self.failures.get(unit)
        if queued:
            raise queued.pop(0)

    async def silence(self):
        pass

    def close(self):
        pass


def blocks(*addresses):
    return [ReadBlock(Function.HOLDING, a, 1) for a in addresses]


def make(client, **kw):
    return BusScheduler("bus", cast(ModbusClient, client), SystemClock(), **kw)


def poller(name, unit, cycles, results, interval_s=0.0, **kw):
    return Poller(name, unit, cycles, interval_s, results.append, **kw)


@contextlib.asynccontextmanager
async def running(scheduler):
    task = asyncio.create_task(scheduler.run())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_write_issued_mid_poll_goes_out_before_the_next_read():
    client = ScriptedClient(delay_s=0.02)
    sched = make(client)
    results: list = []
    sched.add(poller("m", 1, [blocks(0, 10, 20)], results, interval_s=10.0))
    async with running(sched):
        await asyncio.sleep(0.01)  # the first read is on the wire
        await sched.write(2, lambda c: c.write(2, 16))  # type: ignore[attr-defined]
        while not results:
            await asyncio.sleep(0.005)
    assert client.log[:4] == [
        ("read", 1, 0),
        ("write", 2, 16),
        ("read", 1, 10),
        ("read", 1, 20),
    ]
    assert results[0] == {b: [1] for b in blocks(0, 10, 20)}


async def test_an_idle_bus_runs_a_write_at_once():
    client = ScriptedClient(delay_s=0.002)
    sched = make(client)
    sched.add(poller("m", 1, [blocks(0)], [], interval_s=60.0))
    async with running(sched):
        await asyncio.sleep(0.02)
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await sched.write(1, lambda c: c.write(1, 6))  # type: ignore[attr-defined]
        assert loop.time() - t0 < 0.015


async def test_a_silent_device_is_backed_off_and_cannot_starve_the_others():
    client = ScriptedClient(delay_s=0.004, timeout_s=0.03)
    client.silent.add(9)
    sched = make(client)
    good: list = []
    bad: list = []
    sched.add(poller("silent", 9, [blocks(0)], bad, interval_s=0.01))
    sched.add(poller("a", 1, [blocks(0)], good, interval_s=0.01))
    sched.add(poller("b", 2, [blocks(0)], good, interval_s=0.01))
    async with running(sched):
        await asyncio.sleep(1.0)
    silent_reads = sum(1 for e in client.log if e[1] == 9)
    healthy_reads = len(client.log) - silent_reads
    # without backoff it would be asked every third transaction (~25 times,
    # 75 % of the bus); backed off, its timeouts take ~10 % of the bus
    assert silent_reads <= 6
    assert healthy_reads >= 50
    counters = sched.counters("silent")
    assert counters is not None
    assert silent_reads - 1 <= counters.timeouts <= silent_reads  # one in flight
    assert counters.retries <= 1  # only its first (healthy-looking) poll retried
    assert all(isinstance(r, DeviceTimeout) for r in bad)


async def test_a_healthy_device_retries_once_and_the_poll_succeeds():
    client = ScriptedClient()
    client.failures[1] = [FrameError("bad crc", "crc")]
    sched = make(client)
    results: list = []
    sched.add(poller("m", 1, [blocks(0)], results, interval_s=10.0))
    async with running(sched):
        while not results:
            await asyncio.sleep(0.005)
    c = sched.counters("m")
    assert c is not None
    assert (c.transactions, c.crc_errors, c.retries, c.answered_count) == (2, 1, 1, 1)
    assert results == [{blocks(0)[0]: [1]}]


async def test_retries_are_bounded_and_exceptions_are_counted_by_code():
    client = ScriptedClient()
    client.failures[1] = [DeviceTimeout("t"), DeviceTimeout("t"), DeviceTimeout("t")]
    client.failures[2] = [DeviceFault("exc", 2)]
    sched = make(client, retries=1)
    r1: list = []
    r2: list = []
    sched.add(poller("m1", 1, [blocks(0)], r1, interval_s=10.0))
    sched.add(poller("m2", 2, [blocks(0)], r2, interval_s=10.0))
    async with running(sched):
        while not (r1 and r2):
            await asyncio.sleep(0.005)
    c1, c2 = sched.counters("m1"), sched.counters("m2")
    assert c1 is not None
    assert c2 is not None
    assert (c1.transactions, c1.timeouts, c1.retries) == (2, 2, 1)
    assert isinstance(r1[0], DeviceTimeout)
    assert (c2.transactions, c2.exceptions, c2.exception_codes) == (1, 1, {2: 1})
    assert isinstance(r2[0], DeviceFault)


async def test_a_failed_write_reaches_its_caller_and_its_counters():
    client = ScriptedClient()
    client.failures[3] = [DeviceFault("refused", 3)]
    sched = make(client, retries=0)
    p = poller("b", 3, [blocks(0)], [], interval_s=60.0)
    sched.add(p)
    async with running(sched):
        with pytest.raises(DeviceFault):
            await sched.write(3, lambda c: c.write(3, 1), p.counters)  # type: ignore[attr-defined]
    assert p.counters.exception_codes == {3: 1}


async def test_slow_blocks_come_in_rotation():
    client = ScriptedClient(delay_s=0.001)
    sched = make(client)
    results: list = []
    sched.add(poller("m", 1, [blocks(0, 100), blocks(0, 200)], results))
    async with running(sched):
        while len(results) < 4:
            await asyncio.sleep(0.005)
    assert [sorted(b.address for b in r) for r in results[:4]] == [
        [0, 100],
        [0, 200],
        [0, 100],
        [0, 200],
    ]
