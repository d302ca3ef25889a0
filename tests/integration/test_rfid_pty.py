"""RFID readers end to end over a real pty: hal_sim writes frames on the master, the
real RfidReader reads the slave path through drivers/serial/port.py."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest

from drivers.rfid.framing import RejectReason
from drivers.rfid.framing import pn532 as p
from drivers.rfid.framing.rdm6300 import encode_rdm6300
from drivers.rfid.reader import ReaderKind, RfidReader
from drivers.serial.port import FdStream
from edge.model.clock import ScaledClock, StallFreeClock
from hal_sim.devices.rfid import SimRfidReader
from hal_sim.pty import PtyPair, close_master, open_pty_pair

SPEED = 10.0  # site seconds per wall second: a 1 s hold takes 0.1 s


async def until(cond: Callable[[], bool], timeout: float = 3.0) -> None:
    """Wait (wall time, as a test guard) until cond() holds."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not cond():
        if loop.time() > end:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.002)


@dataclass
class Rig:
    pair: PtyPair
    master: FdStream
    sim: SimRfidReader
    reader: RfidReader
    tokens: asyncio.Queue[str]


async def _consume(reader: RfidReader, queue: asyncio.Queue[str]) -> None:
    async for uid in reader.tokens():
        queue.put_nowait(uid)


@asynccontextmanager
async def rig(kind: ReaderKind, **reader_kw: float) -> AsyncIterator[Rig]:
    # The card and the reader in one process on one stall-free clock: a stall
    # of the busy machine between two frames of a held card (0.1 s of wall
    # time is the 1 s hold at x10) is no site time, so not a second swipe.
    clock = StallFreeClock(SPEED)
    pair = open_pty_pair()
    master = pair.master_stream()
    sim = SimRfidReader(kind, master, clock)
    reader = RfidReader(pair.slave_path, kind, clock, **reader_kw)  # type: ignore[arg-type]
    queue: asyncio.Queue[str] = asyncio.Queue()
    async with clock.ticking():
        tasks = [asyncio.create_task(_consume(reader, queue))]
        if kind == "pn532":
            tasks.append(asyncio.create_task(sim.run()))
        try:
            await until(lambda: reader.connected)
            yield Rig(pair, master, sim, reader, queue)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            master.close()
            pair.close()


def drain(queue: asyncio.Queue[str]) -> list[str]:
    items = []
    while not queue.empty():
        items.append(queue.get_nowait())
    return items


async def test_rdm6300_single_frame_is_delivered_at_once() -> None:
    async with rig("rdm6300") as r:
        await r.sim.inject(encode_rdm6300("62E3086CED"))
        uid = await asyncio.wait_for(r.tokens.get(), 0.5)
        assert uid == "62E3086CED"


async def test_rdm6300_held_card_once_and_corrupt_frame_dropped() -> None:
    async with rig("rdm6300") as r:
        await r.sim.present("62E3086CED", hold_s=1.0)
        await until(lambda: r.reader.counters.frames_ok == 10)
        await r.sim.inject_fault("corrupt")
        await r.sim.present("0A00112233", hold_s=0.2)
        await until(lambda: r.reader.counters.frames_ok == 12)
        counters = r.reader.counters
        assert drain(r.tokens) == ["62E3086CED", "0A00112233"]
        assert counters.repeats_suppressed == 10
        assert counters.frames_bad == {RejectReason.BAD_CHECKSUM: 1}


async def test_pn532_host_configures_then_polls_and_reads_a_held_card_once() -> None:
    async with rig("pn532") as r:
        await until(lambda: 0x4A in r.sim.commands)
        assert r.sim.commands[:3] == [0x14, 0x02, 0x32]  # SAM, firmware, RF config
        await r.sim.present("04A23B1C", hold_s=1.0)
        uid = await asyncio.wait_for(r.tokens.get(), 1.0)
        assert uid == "04A23B1C"
        counters = r.reader.counters
        assert counters.frames_ok >= 5  # the held card answered poll after poll
        assert counters.repeats_suppressed == counters.frames_ok - 1
        assert r.tokens.empty()
        assert counters.frames_bad == {}


async def test_pn532_corrupt_answer_is_counted_nacked_and_resent() -> None:
    async with rig("pn532") as r:
        await until(lambda: 0x4A in r.sim.commands)
        await r.sim.inject_fault("corrupt")
        await until(lambda: r.reader.counters.frames_bad_total == 1)
        await r.sim.present("04112233445566", hold_s=0.3)
        assert await asyncio.wait_for(r.tokens.get(), 1.0) == "04112233445566"
        counters = r.reader.counters
        assert counters.frames_bad == {RejectReason.BAD_CHECKSUM: 1}
        assert counters.port_errors == 0


async def test_pn532_card_presented_during_a_poll_is_answered_at_once() -> None:
    async with rig("pn532") as r:
        await until(lambda: 0x4A in r.sim.commands)
        polls = r.sim.commands.count(0x4A)
        task = asyncio.create_task(r.sim.present("04A23B1C", hold_s=0.5))
        assert await asyncio.wait_for(r.tokens.get(), 1.0) == "04A23B1C"
        # answered by the poll in flight or the next one, not after a timer
        assert r.sim.commands.count(0x4A) <= polls + 2
        await task


async def test_line_reader_reads_once_and_drops_non_hex_line() -> None:
    async with rig("line") as r:
        await r.sim.present("04A23B1C", hold_s=0.2)
        assert await asyncio.wait_for(r.tokens.get(), 0.5) == "04A23B1C"
        await r.sim.inject_fault("corrupt")
        await r.sim.inject(b"  \r\n")  # blank after separators: bad length
        await r.sim.present("0A0B0C0D0E0F0A", hold_s=0.0)
        assert await asyncio.wait_for(r.tokens.get(), 0.5) == "0A0B0C0D0E0F0A"
        counters = r.reader.counters
        assert counters.frames_ok == 2
        assert counters.frames_bad == {
            RejectReason.NON_HEX: 1,
            RejectReason.BAD_LENGTH: 1,
        }
        assert r.tokens.empty()


async def test_reader_waits_for_missing_port_and_reconnects_after_unplug(
    tmp_path: os.PathLike[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="drivers.rfid.reader")
    clock = ScaledClock(SPEED)
    link = os.path.join(tmp_path, "ttyRFID")  # like /dev/serial/by-id/...
    reader = RfidReader(link, "rdm6300", clock, backoff_s=(0.2, 0.4))
    queue: asyncio.Queue[str] = asyncio.Queue()
    consumer = asyncio.create_task(_consume(reader, queue))
    pairs: list[PtyPair] = []
    try:
        await until(lambda: reader.counters.port_errors >= 2)
        error = reader.counters.last_port_error or ""
        assert error == (
            f"cannot open {link}: [Errno 2] No such file or directory"
            " — check the rfid.port key"
        )
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 1  # the same error again is logged at DEBUG

        for uid in ("62E3086CED", "0A00112233"):
            pair = open_pty_pair()
            pairs.append(pair)
            tmp_link = link + ".new"
            os.symlink(pair.slave_path, tmp_link)
            os.replace(tmp_link, link)
            await until(lambda: reader.connected)
            master = pair.master_stream()
            sim = SimRfidReader("rdm6300", master, clock)
            await sim.present(uid, hold_s=0.1)
            assert await asyncio.wait_for(queue.get(), 1.0) == uid
            master.close()
            close_master(pair)  # unplug
            await until(lambda: not reader.connected)
        assert reader.counters.tokens == 2
        assert reader.counters.last_port_error == (
            f"lost {link}: end of file (device disconnected?)"
        )
        errors = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 3  # missing port once, then each unplug
    finally:
        consumer.cancel()
        await asyncio.gather(consumer, return_exceptions=True)
        for pair in pairs:
            pair.close()


async def test_rdm6300_garbage_and_truncated_frame_are_counted_and_resynced() -> None:
    async with rig("rdm6300") as r:
        await r.sim.inject_fault("garbage")
        await r.sim.inject_fault("truncated")
        await r.sim.present("62E3086CED", hold_s=0.1)
        assert await asyncio.wait_for(r.tokens.get(), 0.5) == "62E3086CED"
        assert r.reader.counters.frames_bad == {
            RejectReason.GARBAGE: 1,
            RejectReason.BAD_LENGTH: 1,
        }


async def test_sim_pn532_sleeps_until_the_wakeup_preamble() -> None:
    clock = ScaledClock(SPEED)
    with open_pty_pair() as pair:
        master = pair.master_stream()
        sim = SimRfidReader("pn532", master, clock)
        task = asyncio.create_task(sim.run())
        slave = FdStream(
            os.open(pair.slave_path, os.O_RDWR | os.O_NOCTTY), "host", owns_fd=True
        )
        try:
            firmware = p.build_command(p.CMD_GET_FIRMWARE_VERSION)
            await slave.write(firmware)
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(slave.read(), 0.05)
            await slave.write(p.WAKEUP + firmware)
            answer = bytearray()
            while len(answer) < len(p.ACK) + 13:
                answer += await asyncio.wait_for(slave.read(), 1.0)
            assert bytes(answer) == p.ACK + bytes.fromhex(
                "00 00 FF 06 FA D5 03 32 01 06 07 E8 00"
            )
            assert sim.commands == [p.CMD_GET_FIRMWARE_VERSION]
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            slave.close()
            master.close()
