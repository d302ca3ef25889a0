"""Units as types: names carry the unit, values never travel unlabelled."""

from typing import NewType

Wh = NewType("Wh", int)
"""Energy in watt-hours (integer: stored and summed exactly)."""
W = NewType("W", float)
"""Active power in watts (signed: negative is export)."""
A = NewType("A", float)
"""Current in amperes."""
V = NewType("V", float)
"""Voltage in volts."""
Hz = NewType("Hz", float)
"""Frequency in hertz."""
