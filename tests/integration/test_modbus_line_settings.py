"""A master at the wrong baud gets what a real RS-485 line gives it.

The simulated line reads the settings the master set on its end of the pty and
hears each direction as a UART at the other settings would (hal_sim.modbus.uart).
Parity cannot be tried end to end: Linux's pty driver drops it (PARENB) from the
settings, so a master's parity never shows on a pty; the UART model's handling of
a parity mismatch is checked on its own below.
"""

from __future__ import annotations

import pytest

from drivers.errors import DriverError
from drivers.modbus.client import ModbusClient
from drivers.modbus.counters import DeviceCounters
from drivers.modbus.wire import LineTiming
from edge.cli import build_parser
from edge.cli.scan import run_scan
from hal_sim.modbus.uart import SerialSettings, hear

from .modbus_rig import rtu_line, sim_meter

LINE = LineTiming(9600, "N", 1)
READS = 4


async def reads(rig, **settings: object) -> DeviceCounters:
    """``READS`` reads of the meter's energy with the master at ``settings``."""
    counters = DeviceCounters()
    client = ModbusClient(rig.endpoint(timeout_s=0.15, retries=0, **settings))
    await client.connect()
    try:
        for _ in range(READS):
            counters.transactions += 1
            try:
                registers = await client.read(1, 4, 72, 2)
            except DriverError as exc:
                counters.failed(exc)
            else:
                assert len(registers) == 2
                counters.answered(0.0)
    finally:
        client.close()
    return counters


async def test_a_master_at_the_lines_settings_reads():
    async with rtu_line({1: sim_meter(1)}, LINE) as rig:
        counters = await reads(rig)
        assert rig.line.master_settings() == SerialSettings(9600, "N", 1)
    assert (counters.answered_count, counters.errors) == (READS, 0)
    assert rig.line.stats.framing == 0


@pytest.mark.parametrize(
    "settings",
    [
        {"baud": 19200},  # twice as fast: each of our bits is half a device bit
        {"baud": 4800},
    ],
)
async def test_a_master_at_other_settings_gets_only_errors(settings):
    async with rtu_line({1: sim_meter(1)}, LINE) as rig:
        counters = await reads(rig, **settings)
    assert counters.answered_count == 0
    assert counters.timeouts + counters.crc_errors + counters.framing_errors == READS
    assert rig.line.stats.answered == 0  # the devices never understood a request
    assert rig.line.stats.framing + rig.line.stats.garbage == rig.line.stats.frames
    assert rig.line.stats.frames >= READS


async def test_stop_bits_that_differ_still_talk_as_between_real_uarts():
    async with rtu_line({1: sim_meter(1)}, LINE) as rig:
        counters = await reads(rig, stopbits=2)
    assert (counters.answered_count, counters.errors) == (READS, 0)


async def test_scan_at_the_wrong_baud_finds_nothing(capsys):
    async with rtu_line({1: sim_meter(1), 2: sim_meter(2)}, LINE) as rig:
        args = build_parser().parse_args(
            ["scan", "--port", rig.path, "--baud", "19200", "--ids", "1-3",
             "--timeout-ms", "50", "--json"]
        )  # fmt: skip
        await run_scan(args)
        assert capsys.readouterr().out.strip() in ("[]", "")
        args = build_parser().parse_args(
            ["scan", "--port", rig.path, "--baud", "9600", "--ids", "1-3",
             "--timeout-ms", "50", "--json"]
        )  # fmt: skip
        assert await run_scan(args) == 0
    assert '"unit": 2' in capsys.readouterr().out  # at the line's baud: both


def test_the_uart_model_on_one_frame():
    frame = bytes.fromhex("010400480002f1dd")
    n81 = SerialSettings(9600)
    assert hear(frame, n81, n81).data == frame
    fast = hear(frame, SerialSettings(19200), n81)
    assert fast.data != frame  # fewer, other bytes
    assert len(fast.data) < len(frame)
    slow = hear(frame, n81, SerialSettings(19200))
    assert len(slow.data) > len(frame)
    assert slow.errors > 0
    # a parity bit where a stop bit is expected: framing errors, same data bits
    even = hear(frame, SerialSettings(9600, "E"), n81)
    assert even.data == frame
    assert even.errors > 0
    odd_as_even = hear(frame, SerialSettings(9600, "O"), SerialSettings(9600, "E"))
    assert odd_as_even.errors == len(frame)  # every parity bit is wrong
    # within a UART's tolerance (about 2%) a baud off by 1% is read right
    assert hear(frame, SerialSettings(9700), n81) == hear(frame, n81, n81)
    assert hear(frame, SerialSettings(9600, "N", 2), n81).data == frame
