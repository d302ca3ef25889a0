"""The generic energy meter: any meter profile, one driver."""

from __future__ import annotations

from drivers.modbus.codec import DataType
from drivers.polled import PolledDevice
from edge.model.events import (
    DeviceReading,
    DeviceSilent,
    MeterReading,
    MeterSink,
    Timed,
)
from edge.model.measurement import Measurement

FLOAT_STEP_WH = 10.0
"""Float energy registers count in steps of their meter's resolution; 0.01 kWh
is the usual one (an assumption: the vendor maps do not state it)."""
SF_STEP_FACTOR = 1000.0
"""A row scaled by a decade exponent read from the device (SunSpec TotWh_SF):
its step is not known before it is read, so allow up to 10**3 of its scale."""
RELATIVE_STEP = {DataType.F32: 2.0**-23, DataType.F64: 2.0**-52}
CURRENTS = (Measurement.CURRENT_L1, Measurement.CURRENT_L2, Measurement.CURRENT_L3)


def _timed(raw: DeviceReading, m: Measurement) -> Timed | None:
    value, read_at = raw.number(m), raw.read_time(m)
    return None if value is None or read_at is None else Timed(value, read_at)


def meter_reading(raw: DeviceReading) -> MeterReading:
    """The meter's reading in one poll's raw values (each with its read time)."""
    c1, c2, c3 = (raw.number(m) for m in CURRENTS)
    return MeterReading(
        raw.device,
        raw.mono,
        raw.utc,
        _timed(raw, Measurement.ENERGY_IMPORT),
        _timed(raw, Measurement.POWER),
        (c1, c2, c3),
        Measurement.ENERGY_IMPORT in raw.unavailable,
    )


class ProfileMeter(PolledDevice):
    """A meter read through its profile; readings in Wh, W, A, V, Hz."""

    def watch(self, sink: MeterSink) -> None:
        """Deliver every poll as a :class:`MeterReading` (or the silence)."""

        def typed(item: DeviceReading | DeviceSilent) -> None:
            sink(item if isinstance(item, DeviceSilent) else meter_reading(item))

        self.subscribe(typed)

    def energy_resolution(self) -> tuple[float, float]:
        """The import energy register's step: (Wh, fraction of its value).

        An integer register steps by its scale; a float one by the meter's
        resolution, or its own precision when that is coarser.
        """
        for row in self.profile.registers:
            if row.measurement is not Measurement.ENERGY_IMPORT or row.channel:
                continue
            if row.type in RELATIVE_STEP:
                return FLOAT_STEP_WH, RELATIVE_STEP[row.type]
            if row.sf_address is not None:
                return row.scale * SF_STEP_FACTOR, 0.0
            return row.scale, 0.0
        return FLOAT_STEP_WH, 0.0
