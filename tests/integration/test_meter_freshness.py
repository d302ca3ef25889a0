"""Freshness is the time a value was read on the wire (driver over a real pty)."""

from __future__ import annotations

import math

from edge.model.events import DeviceReading
from edge.model.measurement import Measurement as M

from .modbus_rig import meter_on, rtu_line, running, sim_meter, until


async def test_a_slow_row_keeps_its_read_time_and_a_nan_register_is_not_carried():
    meter = sim_meter(1, 5000.0)
    meter.turnaround_ms = 2
    async with rtu_line({1: meter}) as rig:
        sched = rig.scheduler(timeout_s=0.3)
        dev = meter_on(sched, 1, interval_s=0.01)
        got: list[DeviceReading] = []
        dev.subscribe(lambda r: got.append(r) if isinstance(r, DeviceReading) else None)
        async with running(sched):
            await until(lambda: len(got) >= 12)
            meter.energy_faults.not_finite = math.nan
            n = len(got)
            await until(lambda: len(got) >= n + 3)
    readings = got[:n]
    # energy is a fast row: read in every poll, stamped with that poll's time
    assert all(r.read_time(M.ENERGY_IMPORT) == r.mono for r in readings)
    # voltage is slow (one poll in five): between its reads it keeps its old time
    stale = [r for r in readings if r.read_time(M.VOLTAGE_L1) != r.mono]
    assert stale, "no poll carried a slow row read earlier"
    for r in stale:
        assert r.read_time(M.VOLTAGE_L1) < r.mono
    times = sorted({r.read_time(M.VOLTAGE_L1) for r in readings[1:]})
    assert len(times) < len(readings) - 1  # fewer reads than polls
    # the NaN register: dropped, not re-published as fresh, and listed
    for r in got[n + 1 :]:
        assert M.ENERGY_IMPORT not in r.values
        assert r.read_time(M.ENERGY_IMPORT) is None
        assert M.ENERGY_IMPORT in r.unavailable
        assert r.number(M.POWER) is not None  # the rest of the meter is fine
