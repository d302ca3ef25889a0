"""The closed vocabulary of what a device reports, each with its canonical unit."""

from __future__ import annotations

from enum import StrEnum


class Measurement(StrEnum):
    """A quantity a profile can map a register to.

    The canonical unit of each member is in :data:`UNIT`; profiles may state a
    register in a related unit (kWh for Wh, kW for W) and the loader converts.
    """

    VOLTAGE_L1 = "voltage_l1"
    VOLTAGE_L2 = "voltage_l2"
    VOLTAGE_L3 = "voltage_l3"
    CURRENT_L1 = "current_l1"
    CURRENT_L2 = "current_l2"
    CURRENT_L3 = "current_l3"
    POWER_L1 = "power_l1"
    POWER_L2 = "power_l2"
    POWER_L3 = "power_l3"
    POWER = "power"
    ENERGY_IMPORT = "energy_import"
    ENERGY_EXPORT = "energy_export"
    ENERGY_TOTAL = "energy_total"
    """Import plus export (Eastron "total active energy", 0x0156)."""
    ENERGY_IMPORT_L1 = "energy_import_l1"
    ENERGY_IMPORT_L2 = "energy_import_l2"
    ENERGY_IMPORT_L3 = "energy_import_l3"
    ENERGY_EXPORT_L1 = "energy_export_l1"
    ENERGY_EXPORT_L2 = "energy_export_l2"
    ENERGY_EXPORT_L3 = "energy_export_l3"
    ENERGY_TOTAL_L1 = "energy_total_l1"
    """A phase's import plus export (Eastron "L1 total kWh", 0x0166)."""
    ENERGY_TOTAL_L2 = "energy_total_l2"
    ENERGY_TOTAL_L3 = "energy_total_l3"
    REACTIVE_POWER = "reactive_power"
    FREQUENCY = "frequency"
    POWER_FACTOR = "power_factor"
    # EVSE boards
    CP_STATE = "cp_state"
    CURRENT_LIMIT = "current_limit"
    CURRENT_OFFERED = "current_offered"
    CABLE_LIMIT = "cable_limit"
    RELAY_CLOSED = "relay_closed"
    BOARD_FAULT = "board_fault"
    # Relay modules
    COIL = "coil"
    MIRROR_CONTACT = "mirror_contact"
    CHARGING_ENABLED = "charging_enabled"
    """EVSE boards whose enable is a readable coil or register (bool)."""
    # Identity and diagnostics
    SERIAL_NUMBER = "serial_number"
    MODEL_CODE = "model_code"
    FIRMWARE = "firmware"


UNIT: dict[Measurement, str] = {
    **{
        m: "V"
        for m in (
            Measurement.VOLTAGE_L1,
            Measurement.VOLTAGE_L2,
            Measurement.VOLTAGE_L3,
        )
    },
    **{
        m: "A"
        for m in (
            Measurement.CURRENT_L1,
            Measurement.CURRENT_L2,
            Measurement.CURRENT_L3,
            Measurement.CURRENT_LIMIT,
            Measurement.CURRENT_OFFERED,
            Measurement.CABLE_LIMIT,
        )
    },
    **{
        m: "W"
        for m in (
            Measurement.POWER_L1,
            Measurement.POWER_L2,
            Measurement.POWER_L3,
            Measurement.POWER,
        )
    },
    Measurement.ENERGY_IMPORT: "Wh",
    Measurement.ENERGY_EXPORT: "Wh",
    Measurement.ENERGY_TOTAL: "Wh",
    Measurement.ENERGY_IMPORT_L1: "Wh",
    Measurement.ENERGY_IMPORT_L2: "Wh",
    Measurement.ENERGY_IMPORT_L3: "Wh",
    Measurement.ENERGY_EXPORT_L1: "Wh",
    Measurement.ENERGY_EXPORT_L2: "Wh",
    Measurement.ENERGY_EXPORT_L3: "Wh",
    Measurement.ENERGY_TOTAL_L1: "Wh",
    Measurement.ENERGY_TOTAL_L2: "Wh",
    Measurement.ENERGY_TOTAL_L3: "Wh",
    Measurement.REACTIVE_POWER: "var",
    Measurement.FREQUENCY: "Hz",
    Measurement.POWER_FACTOR: "",
    Measurement.CP_STATE: "state",
    Measurement.RELAY_CLOSED: "bool",
    Measurement.BOARD_FAULT: "bool",
    Measurement.COIL: "bool",
    Measurement.MIRROR_CONTACT: "bool",
    Measurement.CHARGING_ENABLED: "bool",
    Measurement.SERIAL_NUMBER: "",
    Measurement.MODEL_CODE: "",
    Measurement.FIRMWARE: "",
}

# Units a profile may use for a register, and the factor to the canonical unit.
UNIT_FACTORS: dict[str, tuple[str, float]] = {
    "V": ("V", 1.0),
    "A": ("A", 1.0),
    "mA": ("A", 0.001),
    "W": ("W", 1.0),
    "kW": ("W", 1000.0),
    "Wh": ("Wh", 1.0),
    "kWh": ("Wh", 1000.0),
    "var": ("var", 1.0),
    "kvar": ("var", 1000.0),
    "Hz": ("Hz", 1.0),
    "": ("", 1.0),
    "state": ("state", 1.0),
    "bool": ("bool", 1.0),
}
