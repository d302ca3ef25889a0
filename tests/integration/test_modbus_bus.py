"""Buses as a site has them: an RTU-over-TCP gateway, a relay module, a SimWorld."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from drivers.errors import DeviceTimeout
from drivers.modbus.client import Endpoint, ModbusClient
from drivers.modbus.scheduler import BusScheduler
from drivers.modbus.wire import LineTiming
from drivers.relay import ContactorCheck, ProfileRelay
from edge.config.loader import load_config
from edge.model.clock import SystemClock
from edge.model.measurement import Measurement as M
from hal_sim.devices.relay import SimRelay
from hal_sim.modbus.framing import Framing
from hal_sim.modbus.server import ModbusTcpSim
from hal_sim.world import SimWorld

from .modbus_rig import LIB, meter_on, rtu_line, running, sim_meter, until


async def test_units_behind_one_gateway_share_its_scheduler():
    meters = {1: sim_meter(1, 1000.0), 2: sim_meter(2, 2000.0)}
    gateway = ModbusTcpSim(meters, framing=Framing.RTU, line=LineTiming(38400))
    port = await gateway.start()
    try:
        # A timeout of 1 s, not 0.1 s: on a starved machine a 0.1 s answer
        # can come too late, which says nothing of what this test asks (a bad
        # answer of unit 2 costs unit 1 nothing).
        ep = Endpoint("rtu-over-tcp", "127.0.0.1", port, baud=38400, timeout_s=1.0)
        sched = BusScheduler("gw", ModbusClient(ep), SystemClock())
        m1 = meter_on(sched, 1, interval_s=0.01)
        m2 = meter_on(sched, 2, interval_s=0.01)
        async with running(sched):
            await until(
                lambda: M.ENERGY_IMPORT in m1.last and M.ENERGY_IMPORT in m2.last
            )
            meters[2].faults.crc_error = True
            await until(lambda: m2.counters.crc_errors >= 1)
        assert m1.last[M.ENERGY_IMPORT] == pytest.approx(1000)
        assert m2.last[M.ENERGY_IMPORT] == pytest.approx(2000)
        assert m1.counters.errors == 0
        client = ModbusClient(replace(ep, timeout_s=0.1))
        with pytest.raises(DeviceTimeout):
            await client.read(3, 4, 72, 2)  # nobody on the line: silence
        client.close()
    finally:
        await gateway.close()


async def test_relay_module_switches_and_a_welded_contactor_is_seen():
    relay = SimRelay(LIB.get("waveshare_modbus_rtu_io_8ch"), 5)
    relay.turnaround_ms = 2
    async with rtu_line({5: relay}) as rig:
        sched = rig.scheduler()
        dev = ProfileRelay(
            "relay",
            LIB.get("waveshare_modbus_rtu_io_8ch"),
            5,
            sched,
            SystemClock(),
            interval_s=0.005,
            settle_s=0.0,
        )
        async with running(sched):
            await dev.set_relay(1, True)
            assert relay.coils[1] is True
            await until(lambda: dev.coil(1) is True)
            assert dev.mirror_closed(1) is False
            assert dev.check(1) is ContactorCheck.OK
            relay.welded.add(1)
            await dev.set_relay(1, False)
            await until(lambda: dev.coil(1) is False)
            await until(lambda: dev.check(1) is ContactorCheck.WELDED)
            assert dev.check(2) is ContactorCheck.OK


SITE = """
[site]
name = "rs485 test"

[[bus]]
id = "line"
transport = "rtu"
device = "{device}"
baud = 19200

[[evse]]
uid = "E1"
meter = {{ bus = "line", unit = 1, model = "eastron_sdm630" }}
board = {{ bus = "line", unit = 2, model = "evse_wb" }}
"""


async def test_the_world_puts_an_rtu_bus_on_a_linked_pty(tmp_path: Path):
    link = tmp_path / "dev" / "ttyRS485"
    site = tmp_path / "site.toml"
    site.write_text(SITE.format(device=link))
    config = load_config(site, LIB.ids())
    world = SimWorld(config, SystemClock(), fixed_ports=True)
    await world.start()
    try:
        assert link.is_symlink()
        assert re.fullmatch(r"/dev/pts/\d+", str(link.readlink()))
        assert world.describe() == [
            f"E1/meter eastron_sdm630 rtu:{link}@19200 unit 1",
            f"E1/board evse_wb rtu:{link}@19200 unit 2",
        ]
        endpoint = world.endpoints.modbus["line"]
        assert (endpoint.transport, endpoint.device, endpoint.baud) == (
            "rtu",
            str(link),
            19200,
        )
        client = ModbusClient(endpoint)
        words = await client.read(2, 3, 1000, 8)
        assert words[2] == 1  # state A: no EV yet
        client.close()
    finally:
        await world.close()
    assert not link.exists()
