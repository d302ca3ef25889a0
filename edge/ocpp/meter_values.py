"""OCPP 1.6 ``MeterValue`` objects as typed readings (pure, no IO).

A charger sends its readings as strings with a measurand, a unit, a phase and
a location; this module says what each one is worth to the site:

* the **register** a session is billed on is ``Energy.Active.Import.Register``
  (the default measurand), the total of all phases (no ``phase``), at the
  connector (``location`` Outlet, the default), ``format`` Raw, in ``Wh`` (the
  default unit) or ``kWh``. Any other energy measurand, a phase's share, an
  Inlet or EV reading, signed data or a value that is not a finite number is
  refused for billing, each with its reason (the caller logs it, naming the
  charger and connector). Other energy samples beside a good register (a
  phase's share, the export register) are simply not used;
* **draw** (the view's power and currents): ``Power.Active.Import`` in W or kW
  (the total, or the sum of the phases), ``Current.Import`` per phase in A.

Other measurands (voltage, temperature, SoC, ...) are not used, and not
reported.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from edge.ocpp.frames import shown
from edge.ocpp.times import charger_time

REGISTER = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"
CURRENT = "Current.Import"

_ENERGY_SCALE = {"Wh": 1.0, "kWh": 1000.0}
_POWER_SCALE = {"W": 1.0, "kW": 1000.0}
_PHASES = {"L1": 0, "L2": 1, "L3": 2, "L1-N": 0, "L2-N": 1, "L3-N": 2}


@dataclass(frozen=True)
class Sampled:
    """One ``SampledValue``, with the 1.6 defaults filled in."""

    value: str
    measurand: str = REGISTER
    unit: str | None = None
    phase: str | None = None
    location: str = "Outlet"
    format: str = "Raw"
    context: str = "Sample.Periodic"

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Sampled:
        """From a schema-valid payload object."""
        return cls(
            value=str(raw["value"]),
            measurand=str(raw.get("measurand", REGISTER)),
            unit=None if raw.get("unit") is None else str(raw["unit"]),
            phase=None if raw.get("phase") is None else str(raw["phase"]),
            location=str(raw.get("location", "Outlet")),
            format=str(raw.get("format", "Raw")),
            context=str(raw.get("context", "Sample.Periodic")),
        )


@dataclass(frozen=True)
class MeterValue:
    """One ``MeterValue``: a time and what was sampled then."""

    at: datetime
    samples: tuple[Sampled, ...]

    @classmethod
    def of(cls, raw: dict[str, Any]) -> MeterValue:
        """From a schema-valid payload object."""
        return cls(
            charger_time(str(raw["timestamp"])),
            tuple(Sampled.of(s) for s in raw["sampledValue"]),
        )


@dataclass(frozen=True)
class Register:
    """A reading of the energy register a session is billed on."""

    energy_wh: float
    step_wh: float
    """The value's resolution (1 Wh, or the last decimal of a kWh value)."""
    context: str


@dataclass(frozen=True)
class Reading:
    """What one MeterValue says, judged for use: billing register and draw."""

    at: datetime
    register: Register | None
    power_w: float | None
    currents_a: tuple[float | None, float | None, float | None]
    refused: tuple[str, ...]
    """Why samples were not taken for billing (one line each)."""

    @property
    def current_a(self) -> float | None:
        """The highest phase current (for a period's min/max)."""
        known = [c for c in self.currents_a if c is not None]
        return max(known) if known else None


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _step(text: str, scale: float) -> float:
    decimals = len(text.partition(".")[2]) if "." in text else 0
    return max(1.0, scale * 10.0**-decimals)


def _register(s: Sampled) -> Register | str:
    """The billing register this sample is, or why it is not one."""
    if s.format != "Raw":
        return f"{s.measurand} as {s.format} (not a plain number)"
    if s.phase is not None:
        return f"{s.measurand} of phase {s.phase} (the total is billed)"
    if s.location != "Outlet":
        return f"{s.measurand} at the {s.location} (the Outlet is billed)"
    unit = s.unit or "Wh"
    scale = _ENERGY_SCALE.get(unit)
    if scale is None:
        return f"{s.measurand} in {shown(unit)} (Wh or kWh expected)"
    value = _number(s.value)
    if value is None or value < 0:
        return f"{s.measurand} reads {shown(s.value)} (not a number of {unit})"
    return Register(value * scale, _step(s.value.strip(), scale), s.context)


def reading(mv: MeterValue) -> Reading:
    """What ``mv`` is worth: the first billing register, the draw, the refusals."""
    register: Register | None = None
    refused: list[str] = []
    others: list[str] = []
    """Energy samples that are not the register: reported only without one."""
    power_total: float | None = None
    phase_power: list[float] = []
    currents: list[float | None] = [None, None, None]
    unphased_current: float | None = None
    for s in mv.samples:
        if s.measurand == REGISTER:
            found = _register(s)
            if isinstance(found, Register):
                register = register or found
            elif s.phase is not None or s.location != "Outlet":
                others.append(found)
            else:
                refused.append(found)
        elif s.measurand.startswith("Energy."):
            others.append(f"{s.measurand} (only {REGISTER} is billed)")
        elif s.measurand == POWER and s.format == "Raw":
            power = _number(s.value)
            scale = _POWER_SCALE.get(s.unit or "W")
            if power is None or scale is None:
                continue
            if s.phase is None:
                power_total = power * scale
            else:
                phase_power.append(power * scale)
        elif s.measurand == CURRENT and s.format == "Raw":
            amps = _number(s.value)
            if amps is None or (s.unit or "A") != "A":
                continue
            index = _PHASES.get(s.phase or "")
            if index is None:
                unphased_current = amps
            else:
                currents[index] = amps
    if register is None:
        refused.extend(others)
    if power_total is None and phase_power:
        power_total = sum(phase_power)
    if unphased_current is not None and all(c is None for c in currents):
        currents[0] = unphased_current
    return Reading(
        mv.at, register, power_total, (currents[0], currents[1], currents[2]),
        tuple(refused),
    )  # fmt: skip
