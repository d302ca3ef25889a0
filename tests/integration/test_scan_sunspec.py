"""Simulated SunSpec meters over real Modbus TCP and a pty RTU line.

`edge scan` finds them through the SunSpec chain, the controller's generic
meter driver reads them once rebased on the discovered model, and a plain
pymodbus master walking the chain sees valid model ids and lengths.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator

import pytest
from pymodbus.client import (  # noqa: TID251 - a plain master
    AsyncModbusSerialClient,
    AsyncModbusTcpClient,
)

from drivers.meter import ProfileMeter
from drivers.modbus.client import Endpoint, ModbusClient
from drivers.modbus.codec import DataType, decode
from drivers.modbus.scheduler import BusScheduler
from drivers.modbus.sunspec import locate
from edge.cli import build_parser
from edge.cli.scan import reader, run_scan
from edge.model.clock import SystemClock
from edge.model.measurement import Measurement as M
from hal_sim.devices.base import ProfileDevice
from hal_sim.devices.meter import SimMeter
from hal_sim.modbus.server import ModbusTcpSim

from .modbus_rig import LIB, rtu_line, running, sim_meter, until


def sunspec(profile_id: str, unit: int, base: int = 40000) -> SimMeter:
    meter = SimMeter(LIB.get(profile_id), unit, 2_000_000.0, sunspec_base=base)
    meter.add_energy(400.0, (16.0, 12.0, 8.0))
    meter.turnaround_ms = 3
    return meter


def site() -> dict[int, ProfileDevice]:
    """One meter of each SunSpec model, on each base a scanner tries, and an SDM630."""
    devices: dict[int, ProfileDevice] = {
        1: sunspec("sunspec_203", 1),
        2: sunspec("sunspec_201", 2, base=0),
        3: sunspec("sunspec_204", 3, base=50000),
        4: sunspec("sunspec_202", 4),
        6: sim_meter(6),
    }
    devices[6].turnaround_ms = 3
    return devices


EXPECTED = [
    (1, "sunspec_203"),
    (2, "sunspec_201"),
    (3, "sunspec_204"),
    (4, "sunspec_202"),
    (6, "eastron_sdm630"),
]


@contextlib.asynccontextmanager
async def tcp(devices: dict[int, ProfileDevice]) -> AsyncIterator[int]:
    server = ModbusTcpSim(devices)
    port = await server.start()
    try:
        yield port
    finally:
        await server.close()


async def test_edge_scan_over_tcp_identifies_each_sunspec_model(capsys):
    async with tcp(site()) as port:
        where = ["--tcp", f"127.0.0.1:{port}", "--ids", "1-7", "--timeout-ms", "200"]
        args = build_parser().parse_args(["scan", *where, "--json"])
        assert await run_scan(args) == 0
        rows = json.loads(capsys.readouterr().out)
        assert [(r["unit"], r["profiles"][0]) for r in rows] == EXPECTED
        args = build_parser().parse_args(["scan", *where, "--bus-id", "gw"])
        assert await run_scan(args) == 0
    out = capsys.readouterr().out
    assert "5 device(s) found" in out
    assert "# unit 1: meter sunspec_203, not paired" in out


async def test_edge_scan_over_an_rtu_pty_identifies_each_sunspec_model(capsys):
    async with rtu_line(site()) as rig:
        args = build_parser().parse_args(
            ["scan", "--port", rig.path, "--baud", str(rig.timing.baud),
             "--ids", "1-7", "--timeout-ms", "200", "--json"]
        )  # fmt: skip
        assert await run_scan(args) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["unit"], r["profiles"][0]) for r in rows] == EXPECTED
    assert rig.line.stats.garbage == 0


async def read_with_the_driver(endpoint: Endpoint, sim: SimMeter, model: str) -> None:
    client = ModbusClient(endpoint)
    await client.connect()
    try:
        profile = await locate(reader(client, sim.unit), LIB.get(model))
    finally:
        client.close()
    assert profile.base == 40072
    sched = BusScheduler("bus", ModbusClient(endpoint), SystemClock())
    meter = ProfileMeter("m", profile, sim.unit, sched, SystemClock(), 0.05)
    async with running(sched):
        await until(lambda: M.VOLTAGE_L3 in meter.last and M.POWER in meter.last)
        last = dict(meter.last)
        sim.add_energy(1_000.0, (32.0, 32.0, 32.0))
        await until(lambda: meter.last.get(M.ENERGY_IMPORT) == 2_001_400.0)
        await until(lambda: meter.last.get(M.CURRENT_L1) == 32.0)
    assert last[M.CURRENT_L1] == pytest.approx(16.0)
    assert last[M.CURRENT_L2] == pytest.approx(12.0)
    assert last[M.CURRENT_L3] == pytest.approx(8.0)
    assert last[M.VOLTAGE_L2] == pytest.approx(230.0)
    assert last[M.POWER_L3] == pytest.approx(8.0 * 230.0)
    assert last[M.POWER] == pytest.approx(36.0 * 230.0)
    assert last[M.FREQUENCY] == pytest.approx(50.0)
    assert last[M.ENERGY_IMPORT] == pytest.approx(2_000_400.0)
    assert last[M.ENERGY_IMPORT_L1] == pytest.approx(2e6 / 3 + 400 * 16 / 36, abs=1)
    assert meter.counters.timeouts == 0


async def test_the_meter_driver_reads_a_sunspec_meter_over_tcp():
    sim = sunspec("sunspec_203", 9)
    async with tcp({9: sim}) as port:
        await read_with_the_driver(
            Endpoint("tcp", host="127.0.0.1", port=port), sim, "sunspec_203"
        )


async def test_the_meter_driver_reads_a_sunspec_meter_over_rtu():
    sim = sunspec("sunspec_204", 9)
    async with rtu_line({9: sim}) as rig:
        await read_with_the_driver(rig.endpoint(), sim, "sunspec_204")


Chain = list[tuple[int, int, list[int]]]


async def walk(
    client: AsyncModbusTcpClient | AsyncModbusSerialClient, unit: int
) -> Chain:
    """The chain as a plain SunSpec master reads it: (id, length, body) per model."""
    rr = await client.read_holding_registers(40000, count=2, device_id=unit)
    assert not rr.isError()
    assert decode(rr.registers, DataType.STR) == "SunS"
    address, models = 40002, Chain()
    while True:
        rr = await client.read_holding_registers(address, count=2, device_id=unit)
        assert not rr.isError()
        model_id, length = rr.registers
        if model_id == 0xFFFF:
            assert length == 0
            return models
        rr = await client.read_holding_registers(
            address + 2, count=length, device_id=unit
        )
        assert not rr.isError()
        models.append((model_id, length, list(rr.registers)))
        address += 2 + length


def check_chain(models: Chain, model_id: int) -> None:
    assert [(m[0], m[1]) for m in models] == [(1, 66), (model_id, 105)]
    common = models[0][2]
    assert decode(common[0:16], DataType.STR) == "hal_sim"
    assert common[64] == 5  # DA: the unit id
    body = models[1][2]

    def num(words: list[int], dtype: DataType = DataType.S16) -> int:
        value = decode(words, dtype)
        assert isinstance(value, int)
        return value

    def scaled(
        words: list[int], sf_offset: int, dtype: DataType = DataType.S16
    ) -> float:
        return num(words, dtype) * 10.0 ** num([body[sf_offset]])

    amps = [scaled([w], 4) for w in body[1:4]]
    assert amps == pytest.approx([16.0, 12.0, 8.0])
    assert scaled([body[16]], 20) == pytest.approx(36.0 * 230.0)
    assert scaled(body[44:46], 52, DataType.U32) == pytest.approx(2_000_400.0)
    assert body[9] == 0x8000  # PPV: a point our profile does not serve


async def test_a_plain_pymodbus_master_walks_the_chain_over_tcp():
    async with tcp({5: sunspec("sunspec_203", 5)}) as port:
        client = AsyncModbusTcpClient("127.0.0.1", port=port, timeout=2, retries=0)
        assert await client.connect()
        try:
            check_chain(await walk(client, 5), 203)
        finally:
            client.close()


async def test_a_plain_pymodbus_master_walks_the_chain_over_rtu():
    async with rtu_line({5: sunspec("sunspec_202", 5)}) as rig:
        t = rig.timing
        client = AsyncModbusSerialClient(
            rig.path, baudrate=t.baud, stopbits=t.stopbits, timeout=2, retries=0
        )
        assert await client.connect()
        try:
            models = await walk(client, 5)
        finally:
            client.close()
    assert [(m[0], m[1]) for m in models] == [(1, 66), (202, 105)]
    assert models[1][2][3] == 0x8000  # AphC: split phase has no phase C
