"""A simulated energy meter: energy integrates the power of the EV behind it."""

from __future__ import annotations

from collections.abc import Mapping

from drivers.modbus.decode import Value
from drivers.modbus.profile import Profile
from edge.model.measurement import Measurement as M
from hal_sim.devices.base import ProfileDevice
from hal_sim.ev import NOMINAL_V


class SimMeter(ProfileDevice):
    """Serves V, I, P, f and cumulative import energy for one EVSE's line."""

    def __init__(self, profile: Profile, unit: int, energy_start_wh: float) -> None:
        super().__init__(profile, unit)
        self.energy_import_wh = float(energy_start_wh)
        self.energy_export_wh = 0.0
        self.currents: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def add_energy(self, wh: float, currents: tuple[float, float, float]) -> None:
        """Account energy that flowed since the last step, and the present currents."""
        self.energy_import_wh += wh
        self.currents = currents

    def values(self) -> Mapping[M, Value | None]:
        """Engineering values at this instant."""
        i1, i2, i3 = self.currents
        p1, p2, p3 = (i * NOMINAL_V for i in self.currents)
        return {
            M.VOLTAGE_L1: NOMINAL_V,
            M.VOLTAGE_L2: NOMINAL_V,
            M.VOLTAGE_L3: NOMINAL_V,
            M.CURRENT_L1: i1,
            M.CURRENT_L2: i2,
            M.CURRENT_L3: i3,
            M.POWER_L1: p1,
            M.POWER_L2: p2,
            M.POWER_L3: p3,
            M.POWER: p1 + p2 + p3,
            M.FREQUENCY: 50.0,
            M.ENERGY_IMPORT: self.energy_import_wh,
            M.ENERGY_EXPORT: self.energy_export_wh,
            M.POWER_FACTOR: 1.0,
            M.SERIAL_NUMBER: float(10_000 + self.unit),
        }
