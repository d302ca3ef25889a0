"""The SDM630's per-phase energy block (0x0156-0x016B) over real Modbus TCP.

Eastron's map: total kWh at 0x0156 (import + export), then per phase import
(0x015A/5C/5E), export (0x0160/62/64) and total (0x0166/68/6A, the phase's
import + export). A third-party master reads the block in one request, as
mbmd's and evcc's readers do; the controller's generic driver reads it from
the profile. Both must see a meter whose numbers add up.
"""

from __future__ import annotations

import struct

import pytest
from pymodbus.client import AsyncModbusTcpClient  # noqa: TID251 - a plain master

from drivers.modbus.client import Endpoint, ModbusClient
from drivers.modbus.scheduler import BusScheduler
from edge.model.clock import SystemClock
from edge.model.measurement import Measurement as M
from hal_sim.devices.meter import SimMeter
from hal_sim.modbus.server import ModbusTcpSim

from .modbus_rig import meter_on, running, sim_meter, until

UNIT = 3


def a_meter_that_has_exported() -> SimMeter:
    """Import 1,234,500 Wh split evenly, 2,000 Wh more on L1, 600 Wh exported."""
    meter = sim_meter(UNIT)
    meter.energy_export_wh = 600.0
    meter.add_energy(2_000.0, (16.0, 0.0, 0.0))
    meter.turnaround_ms = 3
    return meter


def floats(words: list[int]) -> list[float]:
    """Eastron's float32, high word first, one value per register pair."""
    raw = struct.pack(f">{len(words)}H", *words)
    return list(struct.unpack(f">{len(words) // 2}f", raw))


async def test_a_plain_master_reads_the_per_phase_block_and_it_adds_up():
    server = ModbusTcpSim({UNIT: a_meter_that_has_exported()})
    port = await server.start()
    client = AsyncModbusTcpClient("127.0.0.1", port=port, timeout=2, retries=0)
    try:
        assert await client.connect()
        rr = await client.read_input_registers(0x0156, count=22, device_id=UNIT)
        assert not rr.isError(), rr
        rt = await client.read_input_registers(0x0048, count=4, device_id=UNIT)
        assert not rt.isError(), rt
    finally:
        client.close()
        await server.close()
    v = floats(rr.registers)  # kWh, one per pair from 0x0156
    total, imp, exp, tot = v[0], v[2:5], v[5:8], v[8:11]
    import_kwh, export_kwh = floats(rt.registers)
    share = 1_234.5 / 3
    assert imp == pytest.approx([share + 2.0, share, share], rel=1e-6)
    assert exp == pytest.approx([0.2, 0.2, 0.2], rel=1e-5)
    assert sum(exp) == pytest.approx(export_kwh, rel=1e-5)
    assert tot == pytest.approx([i + e for i, e in zip(imp, exp, strict=True)])
    assert sum(tot) == pytest.approx(total, rel=1e-6)
    assert total == pytest.approx(import_kwh + export_kwh, rel=1e-6)
    assert import_kwh == pytest.approx(1_236.5, rel=1e-6)


async def test_the_driver_reads_export_and_total_per_phase_from_the_profile():
    sim = a_meter_that_has_exported()
    server = ModbusTcpSim({UNIT: sim})
    port = await server.start()
    endpoint = Endpoint("tcp", host="127.0.0.1", port=port)
    sched = BusScheduler("bus", ModbusClient(endpoint), SystemClock())
    meter = meter_on(sched, UNIT, interval_s=0.05)
    try:
        async with running(sched):
            await until(lambda: M.ENERGY_TOTAL_L3 in meter.last)
            first = dict(meter.last)
            sim.add_energy(900.0, (0.0, 0.0, 16.0))
            await until(
                lambda: (
                    meter.last.get(M.ENERGY_TOTAL_L3, 0.0)
                    > first[M.ENERGY_TOTAL_L3] + 800.0
                )
            )
            later = dict(meter.last)
    finally:
        await server.close()
    share = 1_234_500.0 / 3
    for phase, extra in ((1, 2_000.0), (2, 0.0), (3, 0.0)):
        exported = first[M(f"energy_export_l{phase}")]
        assert exported == pytest.approx(200.0, abs=0.1)  # Wh, from kWh
        assert first[M(f"energy_total_l{phase}")] == pytest.approx(
            share + extra + 200.0, abs=0.2
        )
    assert later[M.ENERGY_TOTAL_L3] == pytest.approx(share + 900.0 + 200.0, abs=0.2)
    assert later[M.ENERGY_EXPORT_L3] == pytest.approx(200.0, abs=0.1)
