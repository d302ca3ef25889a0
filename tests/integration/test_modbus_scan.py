"""`edge scan` finds and identifies the devices on a pty bus, fast over silence."""

from __future__ import annotations

import asyncio
import json

from drivers.modbus.client import ModbusClient
from edge.cli import build_parser
from edge.cli.scan import parse_ids, run_scan, scan_bus
from hal_sim.devices.relay import SimRelay

from .modbus_rig import LIB, rtu_line, sim_board, sim_meter


def bus():
    relay = SimRelay(LIB.get("waveshare_modbus_rtu_io_8ch"), 7)
    devices = {3: sim_meter(3), 5: sim_board(5), 7: relay}
    for d in devices.values():
        d.turnaround_ms = 3
    return devices


async def test_scan_prints_a_table_and_a_ready_to_paste_snippet(capsys):
    async with rtu_line(bus()) as rig:
        args = build_parser().parse_args(
            ["scan", "--port", rig.path, "--baud", "38400", "--ids", "1-8",
             "--timeout-ms", "20", "--bus-id", "rs485"]
        )  # fmt: skip
        assert await run_scan(args) == 0
    out = capsys.readouterr().out
    assert "3 device(s) found" in out
    assert f'device = "{rig.path}"' in out
    assert 'meter = { bus = "rs485", unit = 3, model = "eastron_sdm630" }' in out
    assert 'board = { bus = "rs485", unit = 5, model = "evse_wb" }' in out
    assert "# unit 7: relay waveshare_modbus_rtu_io_8ch, not paired" in out


async def test_scan_json_and_a_silent_id_costs_only_its_probe(capsys):
    async with rtu_line(bus()) as rig:
        client = ModbusClient(rig.endpoint())
        await client.connect()
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        found = await scan_bus(client, list(range(8, 28)), 0.02, [])
        silent_s = (loop.time() - t0) / 20
        client.close()
        assert found == []
        assert silent_s < 0.05  # the probe's 20 ms and its frames, not 300 ms
        args = build_parser().parse_args(
            ["scan", "--port", rig.path, "--baud", "38400", "--ids", "2-7", "--json"]
        )
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
