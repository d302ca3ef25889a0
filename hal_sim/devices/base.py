"""A simulated Modbus device that serves a profile's registers.

The register image is built from the same profile file the controller reads,
through the same codec, so a profile error shows up on both sides at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from drivers.modbus.decode import Value, encode_row
from drivers.modbus.profile import Function, Profile
from edge.model.measurement import Measurement

ILLEGAL_FUNCTION = 1
ILLEGAL_ADDRESS = 2
ILLEGAL_VALUE = 3
DEVICE_FAILURE = 4


@dataclass
class Faults:
    """What is wrong with a device right now (set by scenarios and tests)."""

    no_answer: bool = False
    crc_error: bool = False
    exception_code: int | None = None
    frozen: bool = False
    zeroed: bool = False
    slow_ms: float = 0.0

    def clear(self) -> None:
        """Back to a healthy device."""
        self.no_answer = self.crc_error = self.frozen = self.zeroed = False
        self.exception_code = None
        self.slow_ms = 0.0


class ProfileDevice:
    """Serves reads from ``values()`` encoded by the profile; subclasses add physics."""

    def __init__(self, profile: Profile, unit: int) -> None:
        self.profile = profile
        self.unit = unit
        self.faults = Faults()
        self.reads = 0
        self.writes = 0
        self._frozen: dict[int, dict[int, int]] | None = None
        spans: dict[Function, tuple[int, int]] = {}
        for row in profile.registers:
            lo, hi = spans.get(row.function, (row.address, row.end))
            spans[row.function] = (min(lo, row.address), max(hi, row.end))
        self._spans = spans

    def values(self) -> Mapping[Measurement, Value | None]:
        """Current engineering values; overridden by each device kind."""
        return {}

    def image(self, function: Function) -> dict[int, int]:
        """Address -> word for every row of ``function``."""
        if self.faults.frozen and self._frozen is not None:
            return self._frozen.get(function, {})
        values = self.values()
        out: dict[int, int] = {}
        for row in self.profile.registers:
            if row.function is not function:
                continue
            value = values.get(row.measurement)
            words = [0xFFFF] * row.count if value is None else encode_row(row, value)
            for i, w in enumerate(words):
                out[row.address + i] = out.get(row.address + i, 0) | w
        return out

    def freeze(self) -> None:
        """Stop the register values where they are now (fault 'frozen values')."""
        self._frozen = {fn: self.image(fn) for fn in self._spans}
        self.faults.frozen = True

    def read(self, function: int, address: int, count: int) -> list[int] | int:
        """Serve a read: words, or a Modbus exception code."""
        self.reads += 1
        if self.faults.exception_code is not None:
            return self.faults.exception_code
        try:
            fn = Function(function)
        except ValueError:
            return ILLEGAL_FUNCTION
        span = self._spans.get(fn)
        if span is None:
            return ILLEGAL_FUNCTION
        if count > self.profile.max_registers_per_request:
            return ILLEGAL_VALUE
        if address < span[0] or address + count > span[1]:
            return ILLEGAL_ADDRESS
        for lo, hi in self.profile.unreadable:
            if lo < address + count and address <= hi:
                return ILLEGAL_ADDRESS
        if self.faults.zeroed:
            return [0] * count
        img = self.image(fn)
        return [img.get(a, 0) for a in range(address, address + count)]

    def write(self, function: int, address: int, values: tuple[int, ...]) -> int | None:
        """Serve a write; None on success or an exception code."""
        self.writes += 1
        if self.faults.exception_code is not None:
            return self.faults.exception_code
        return self.apply_write(function, address, values)

    def apply_write(
        self, function: int, address: int, values: tuple[int, ...]
    ) -> int | None:
        """Device-specific write handling; read-only devices refuse."""
        return ILLEGAL_ADDRESS
