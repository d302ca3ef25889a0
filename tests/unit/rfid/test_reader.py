"""RfidReader on a ManualClock: backoff, debounce on clock time, PN532 timeouts."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable

import pytest

from drivers.rfid.framing import RejectReason
from drivers.rfid.framing import pn532 as p
from drivers.rfid.reader import RfidReader, redact_uid
from edge.model.clock import ManualClock
from hal_sim.pty import open_pty_pair


async def settle(until: Callable[[], bool] = lambda: False, rounds: int = 200) -> None:
    """Let the loop run (a pty hop needs a few rounds) until ``until()`` holds."""
    for _ in range(rounds):
        if until():
            return
        await asyncio.sleep(0.001 if rounds > 20 else 0)


def test_constructor_validates_and_defaults() -> None:
    clock = ManualClock()
    assert RfidReader("/dev/x", "pn532", clock).config.baud == 115200
    assert RfidReader("/dev/x", "rdm6300", clock).config.baud == 9600
    assert str(RfidReader("/dev/x", "line", clock, 19200, framing="8E1").config) == (
        "19200 8E1"
    )
    with pytest.raises(ValueError, match="unknown RFID reader kind 'wiegand'"):
        RfidReader("/dev/x", "wiegand", clock)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="baud rate 100 not supported"):
        RfidReader("/dev/x", "line", clock, baud=100)
    with pytest.raises(ValueError, match="backoff_s must be"):
        RfidReader("/dev/x", "line", clock, backoff_s=(0.0, 1.0))
    with pytest.raises(ValueError, match="hold_s must not be negative"):
        RfidReader("/dev/x", "line", clock, hold_s=-0.5)


def test_redact_uid() -> None:
    assert redact_uid("04A23B1C") == "****3B1C"
    assert redact_uid("AB") == "****"  # too short to show any of it


async def test_missing_port_retries_with_doubling_backoff_on_the_clock() -> None:
    clock = ManualClock()
    reader = RfidReader("/nonexistent/ttyRFID", "line", clock, backoff_s=(0.5, 2.0))
    tokens = reader.tokens()
    task = asyncio.ensure_future(anext(tokens))
    await settle(rounds=5)
    errors = [reader.counters.port_errors]
    for step in (0.4, 0.1, 0.9, 0.1, 2.0, 2.0):
        clock.advance(step)
        await settle(rounds=5)
        errors.append(reader.counters.port_errors)
    assert errors == [1, 1, 2, 2, 3, 4, 5]  # waits 0.5, 1.0, 2.0, 2.0 (capped)
    assert not task.done()  # an error never ends the iteration
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await tokens.aclose()


async def test_second_iteration_is_refused() -> None:
    reader = RfidReader("/nonexistent/tty", "line", ManualClock())
    first = reader.tokens()
    task = asyncio.ensure_future(anext(first))
    await settle(rounds=3)
    with pytest.raises(RuntimeError, match="already iterated"):
        await anext(reader.tokens())
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await first.aclose()


async def test_debounce_runs_on_clock_time() -> None:
    clock = ManualClock()
    with open_pty_pair() as pair:
        reader = RfidReader(pair.slave_path, "line", clock, hold_s=1.0)
        got: list[str] = []

        async def consume() -> None:
            async for uid in reader.tokens():
                got.append(uid)

        def counted(frames: int) -> Callable[[], bool]:
            return lambda: reader.counters.frames_ok == frames

        task = asyncio.create_task(consume())
        await settle(lambda: reader.connected)
        for advance in (0.0, 0.5, 0.99, 1.0):  # gaps since the previous line
            clock.advance(advance)
            os.write(pair.master_fd, b"04A23B1C\r\n")
            await settle(counted(reader.counters.frames_ok + 1))
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert got == ["04A23B1C", "04A23B1C"]
    assert reader.counters.repeats_suppressed == 2


async def test_pn532_silent_device_times_out_and_reinitialises() -> None:
    clock = ManualClock()
    with open_pty_pair() as pair:
        reader = RfidReader(pair.slave_path, "pn532", clock)
        task = asyncio.ensure_future(anext(reader.tokens()))
        received = bytearray()

        def read_master() -> bool:
            with contextlib.suppress(BlockingIOError):
                received.extend(os.read(pair.master_fd, 4096))
            return received.count(p.WAKEUP) == len(expected_wakeups)

        expected_wakeups = [1]
        await settle(read_master)
        sam = p.build_command(p.CMD_SAM_CONFIGURATION, b"\x01\x14\x01")
        assert bytes(received) == p.WAKEUP + sam
        clock.advance(0.49)
        await settle(rounds=10)
        assert reader.counters.frames_bad == {}
        clock.advance(0.01)  # the ACK timeout (0.5 s) passes
        expected_wakeups.append(2)
        await settle(read_master)
        assert bytes(received) == (p.WAKEUP + sam) * 2
        assert reader.counters.frames_bad == {RejectReason.NO_RESPONSE: 1}
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_opened_is_set_while_the_port_is_open() -> None:
    clock = ManualClock()
    with open_pty_pair() as pair:
        reader = RfidReader(pair.slave_path, "line", clock)
        assert not reader.opened.is_set()
        task = asyncio.ensure_future(anext(reader.tokens()))
        await asyncio.wait_for(reader.opened.wait(), 5)  # a guard: set on open
        assert reader.connected
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
