"""A simulated energy meter: energy integrates the power of the EV behind it.

A meter whose profile is a SunSpec model (``sunspec_model``) serves the whole
SunSpec chain from ``sunspec_base`` (see :mod:`hal_sim.devices.sunspec`), so a
SunSpec master finds it as it would a real one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from drivers.modbus.codec import DataType
from drivers.modbus.decode import Value
from drivers.modbus.profile import Function, Profile, RegisterSpec
from edge.model.measurement import Measurement as M
from hal_sim.devices.base import SERIAL_BASE, ProfileDevice
from hal_sim.devices.sunspec import DEFAULT_BASE, CommonInfo, SunSpecMap
from hal_sim.ev import NOMINAL_V

SIM_MANUFACTURER = "hal_sim"
FLOATS = (DataType.F32, DataType.F64)


@dataclass
class MeterFaults:
    """What is wrong with the meter's import energy register (scenarios, tests).

    The meter's other registers (power, currents) stay true: the fault is in
    the one register that bills.
    """

    jump_wh: float = 0.0
    """Added to the register's next answer only (a bad frame, a gateway glitch)."""
    not_finite: float | None = None
    """The register answers this (NaN, an infinity) while set; an integer
    register answers its "not available" pattern instead."""
    backwards_wh: float = 0.0
    """While set, the register runs backwards by this much per answer, from
    where it was when the fault began."""
    stuck: bool = False
    """The register stays where it was while energy flows."""

    def clear(self) -> None:
        """Back to a healthy register."""
        self.jump_wh = self.backwards_wh = 0.0
        self.not_finite = None
        self.stuck = False


class SimMeter(ProfileDevice):
    """Serves V, I, P, f and cumulative import energy for one EVSE's line."""

    def __init__(
        self,
        profile: Profile,
        unit: int,
        energy_start_wh: float,
        sunspec_base: int = DEFAULT_BASE,
    ) -> None:
        self.sunspec: SunSpecMap | None = None
        if profile.sunspec_model is not None and profile.relative:
            info = CommonInfo(SIM_MANUFACTURER, profile.id, str(SERIAL_BASE + unit))
            self.sunspec = SunSpecMap(profile, unit, info, sunspec_base)
            profile = self.sunspec.profile
        super().__init__(profile, unit)
        if self.sunspec is not None:
            self._segments.setdefault(Function.HOLDING, []).append(self.sunspec.segment)
        self.energy_import_wh = float(energy_start_wh)
        self.energy_import_phase_wh = [self.energy_import_wh / 3] * 3
        self.energy_export_wh = 0.0
        self.currents: tuple[float, float, float] = (0.0, 0.0, 0.0)
        self.power_w: tuple[float, float, float] | None = None
        """Signed active power per phase where the line can export (a grid
        connection with solar); None: the currents at nominal voltage."""
        self.energy_faults = MeterFaults()
        self._held_wh: float | None = None
        self._backwards_reads = 0
        self._answering_energy = False
        self._energy_row = next(
            (r for r in self.profile.registers if r.measurement is M.ENERGY_IMPORT),
            None,
        )

    def replace_meter(self, energy_start_wh: float) -> None:
        """A new meter in the old one's place (or a reset): it counts from here."""
        self.energy_import_wh = float(energy_start_wh)
        self.energy_import_phase_wh = [self.energy_import_wh / 3] * 3
        self.energy_export_wh = 0.0
        self._held_wh = None
        self._backwards_reads = 0

    def served_energy_wh(self) -> float:
        """What the import energy register answers now (faults included)."""
        f = self.energy_faults
        energy = self.energy_import_wh
        if f.stuck or f.backwards_wh:
            if self._held_wh is None:
                self._held_wh = energy
            energy = self._held_wh - f.backwards_wh * self._backwards_reads
        else:
            self._held_wh = None
            self._backwards_reads = 0
        if f.not_finite is not None:
            energy = f.not_finite
        if f.jump_wh and self._answering_energy:
            energy += f.jump_wh
        return energy

    def read(self, function: int, address: int, count: int) -> list[int] | int:
        """Serve a read; an energy fault that lasts one answer is used up by it."""
        row = self._energy_row
        self._answering_energy = (
            row is not None
            and int(row.function) == function
            and address <= row.address
            and row.end <= address + count
        )
        try:
            return super().read(function, address, count)
        finally:
            if self._answering_energy:
                self.energy_faults.jump_wh = 0.0
                if self.energy_faults.backwards_wh:
                    self._backwards_reads += 1
            self._answering_energy = False

    def row_value(
        self, row: RegisterSpec, values: Mapping[M, Value | None]
    ) -> Value | None:
        """A row's value; an integer register cannot say NaN: not available."""
        value = values.get(row.measurement)
        if isinstance(value, float) and not math.isfinite(value):
            return value if row.type in FLOATS else None
        return value

    def add_energy(self, wh: float, currents: tuple[float, float, float]) -> None:
        """Account energy that flowed since the last step, and the present currents.

        The phases share ``wh`` in proportion to their currents.
        """
        self.energy_import_wh += wh
        total = sum(abs(i) for i in currents)
        for phase, i in enumerate(currents):
            share = abs(i) / total if total else 1 / 3
            self.energy_import_phase_wh[phase] += wh * share
        self.currents = currents

    def values(self) -> Mapping[M, Value | None]:
        """Engineering values at this instant."""
        i1, i2, i3 = self.currents
        p1, p2, p3 = self.power_w or tuple(i * NOMINAL_V for i in self.currents)
        e1, e2, e3 = self.energy_import_phase_wh
        x1 = x2 = x3 = self.energy_export_wh / 3  # no export flows in the sim
        energy = self.served_energy_wh()
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
            M.ENERGY_IMPORT: energy,
            M.ENERGY_IMPORT_L1: e1,
            M.ENERGY_IMPORT_L2: e2,
            M.ENERGY_IMPORT_L3: e3,
            M.ENERGY_EXPORT: self.energy_export_wh,
            M.ENERGY_EXPORT_L1: x1,
            M.ENERGY_EXPORT_L2: x2,
            M.ENERGY_EXPORT_L3: x3,
            # a phase's total, as the vendor's: its import plus its export
            M.ENERGY_TOTAL_L1: e1 + x1,
            M.ENERGY_TOTAL_L2: e2 + x2,
            M.ENERGY_TOTAL_L3: e3 + x3,
            # the vendor's "total": import plus export, as the meter adds them
            M.ENERGY_TOTAL: energy + self.energy_export_wh,
            M.REACTIVE_POWER: 0.0,
            M.POWER_FACTOR: 1.0,
            M.SERIAL_NUMBER: float(10_000 + self.unit),
        }

    def live_image(self, function: Function) -> dict[int, int]:
        """The profile's rows; for a SunSpec meter the whole chain around them."""
        if self.sunspec is None or function is not Function.HOLDING:
            return super().live_image(function)
        values = self.values()

        def value_of(row: RegisterSpec) -> Value | None:
            return self.row_value(row, values)

        return self.sunspec.image(value_of)
