"""`edge scan` finds and identifies the devices on a pty bus, fast over silence.

Nothing here depends on the machine's speed: the scans that must find devices
give them a probe timeout suited to a loaded machine (an answer ends the wait
at once, so a long timeout costs nothing where a device answers), and the cost
of silence is checked by what the line heard and by each probe's own wait, not
by a wall-clock budget.
"""

from __future__ import annotations

import asyncio
import json
import time

from drivers.modbus.client import ModbusClient
from edge.cli import build_parser
from edge.cli.scan import parse_ids, run_scan, scan_bus
from hal_sim.devices.relay import SimRelay

from .modbus_rig import LIB, rtu_line, sim_board, sim_meter

ANSWER_MS = "2000"
"""Probe timeout for ids where a device answers: ample on a loaded machine."""


def bus():
    relay = SimRelay(LIB.get("waveshare_modbus_rtu_io_8ch"), 7)
    devices = {3: sim_meter(3), 5: sim_board(5), 7: relay}
    for d in devices.values():
        d.turnaround_ms = 3
    return devices


async def test_scan_prints_a_table_and_a_ready_to_paste_snippet(capsys):
    async with rtu_line(bus()) as rig:
        args = build_parser().parse_args(
            ["scan", "--port", rig.path, "--baud", "38400", "--ids", "3,5,7",
             "--timeout-ms", ANSWER_MS, "--bus-id", "rs485"]
        )  # fmt: skip
        assert await run_scan(args) == 0
    out = capsys.readouterr().out
    assert "3 device(s) found" in out
    assert f'device = "{rig.path}"' in out
    assert 'meter = { bus = "rs485", unit = 3, model = "eastron_sdm630" }' in out
    assert 'board = { bus = "rs485", unit = 5, model = "evse_wb" }' in out
    assert "# unit 7: relay waveshare_modbus_rtu_io_8ch, not paired" in out


async def test_scan_json_and_a_silent_id_costs_only_its_probe(capsys):
    probe_s, bus_s = 0.02, 3.0
    silent = list(range(8, 16))
    async with rtu_line(bus()) as rig:
        client = ModbusClient(rig.endpoint(timeout_s=bus_s))
        await client.connect()
        waits: list[float] = []

        def probed(unit: int) -> None:
            waits.append(client.last_latency_s)
            # the probe's timeout, not the bus's: fail at the first that waited it
            assert client.last_latency_s < bus_s, (unit, client.last_latency_s)

        result = await scan_bus(client, silent, probe_s, [], probed)
        client.close()
        assert result.found == []
        assert result.unprobed == []
        # one probe per id, each waited out in full; the line heard no id twice
        # (a loaded kernel may deliver two frames as one, which the line drops
        # as garbage: fewer frames, never more)
        assert len(waits) == len(silent)
        assert min(waits) >= probe_s
        heard = [f.request.unit for f in rig.heard]
        assert sorted(set(heard)) == heard
        assert set(heard) <= set(silent)
        assert rig.line.stats.answered == 0
        args = build_parser().parse_args(
            ["scan", "--port", rig.path, "--baud", "38400", "--ids", "3,5,7",
             "--timeout-ms", ANSWER_MS, "--json"]
        )  # fmt: skip
        assert await run_scan(args) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["unit"], r["profiles"][0]) for r in rows] == [
        (3, "eastron_sdm630"),
        (5, "evse_wb"),
        (7, "waveshare_modbus_rtu_io_8ch"),
    ]


def test_unit_id_ranges():
    assert parse_ids("1-3,7, 5") == [1, 2, 3, 5, 7]
    assert len(parse_ids("1-247")) == 247


async def test_a_device_answering_while_the_controller_was_starved_is_found():
    """The process froze (a Pi under load) after the request went out: the meter
    answered on time, its bytes waited in the tty, and the probe's deadline was
    due by the time the loop ran again. The wait counts only time awake."""
    probe_s = 0.05
    async with rtu_line(bus()) as rig:
        heard = rig.line.on_frame

        def freeze(frame) -> None:
            if heard is not None:
                heard(frame)
            if frame.request.unit == 3:
                time.sleep(4 * probe_s)  # the whole process stops, as when starved

        rig.line.on_frame = freeze
        client = ModbusClient(rig.endpoint())
        await client.connect()
        result = await scan_bus(client, [2, 3, 4], probe_s, [])
        client.close()
    assert [f.unit for f in result.found] == [3]
    assert result.unprobed == []


async def test_a_unit_whose_every_wait_was_starved_is_reported_not_probed():
    """A loop that never catches up (every tick of the wait late): the silence of
    unit 4 proves nothing, so the scan says it could not probe it, and why."""
    probe_s = 0.05

    async def neighbour() -> None:  # blocks the loop in long bursts
        while True:
            time.sleep(0.03)
            await asyncio.sleep(0)

    async with rtu_line(bus()) as rig:
        client = ModbusClient(rig.endpoint())
        await client.connect()
        busy = asyncio.create_task(neighbour())
        try:
            result = await scan_bus(client, [3, 4], probe_s, [])
        finally:
            busy.cancel()
            client.close()
    assert [f.unit for f in result.found] == [3]
    assert [u.unit for u in result.unprobed] == [4]
    assert "too busy to listen" in result.unprobed[0].why
    assert rig.line.stats.answered >= 1
