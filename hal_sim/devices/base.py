"""A simulated Modbus device that serves a profile's registers.

The register image is built from the same profile file the controller reads,
through the same codec, so a profile error shows up on both sides at once.
Identity registers are served too (the first value a profile's identity row
accepts), so ``edge scan`` recognises a simulated device as it would a real one.
A read must fall inside one served segment per function code: the span of the
profile's rows (gaps inside it read 0, as on most meters) or an identity row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from drivers.modbus.codec import DataType, encode
from drivers.modbus.decode import Value, encode_row
from drivers.modbus.profile import Function, IdentitySpec, Profile, RegisterSpec
from edge.model.measurement import Measurement

ILLEGAL_FUNCTION = 1
ILLEGAL_ADDRESS = 2
ILLEGAL_VALUE = 3
DEVICE_FAILURE = 4
SERIAL_BASE = 21_000_000


@dataclass
class Faults:
    """What is wrong with a device right now (set by scenarios and tests)."""

    no_answer: bool = False
    crc_error: bool = False
    truncated: bool = False
    """Answers stop short (a framing error: the frame never completes)."""
    exception_code: int | None = None
    frozen: bool = False
    zeroed: bool = False
    """Registers reset to zero (a device that lost its memory)."""
    slow_ms: float = 0.0

    def clear(self) -> None:
        """Back to a healthy device."""
        self.no_answer = self.crc_error = self.truncated = False
        self.frozen = self.zeroed = False
        self.exception_code = None
        self.slow_ms = 0.0


def identity_words(spec: IdentitySpec, unit: int) -> list[int]:
    """Words a device answers for ``spec``: a value the row accepts."""
    value: int | str
    if spec.equals is not None:
        value = spec.equals
    elif spec.one_of:
        value = spec.one_of[0]
    elif spec.prefix is not None:
        value = spec.prefix
    else:
        value = "SIM" if spec.type is DataType.STR else SERIAL_BASE + unit
        if spec.count == 1 and isinstance(value, int):
            value = 100 + unit  # a 16-bit register: a version or address
    if isinstance(value, str) and spec.type is not DataType.STR:
        value = int(value)
    return encode(value, spec.type, spec.word_order, length=spec.length)


class ProfileDevice:
    """Serves reads from ``values()`` encoded by the profile; subclasses add physics."""

    def __init__(self, profile: Profile, unit: int) -> None:
        self.profile = profile
        self.unit = unit
        self.faults = Faults()
        self.turnaround_ms = profile.turnaround_ms
        """How long the device takes to start its answer (the profile's typical)."""
        self.reads = 0
        self.writes = 0
        self.before_read: Callable[[int, int], None] | None = None
        """A scenario's hook: called with the function code and start address of
        every read before it is served (an EV that leaves between two frames of
        one poll, say)."""
        self._frozen: dict[Function, dict[int, int]] | None = None
        spans: dict[Function, tuple[int, int]] = {}
        for row in profile.registers:
            lo, hi = spans.get(row.function, (row.address, row.end))
            spans[row.function] = (min(lo, row.address), max(hi, row.end))
        self._segments: dict[Function, list[tuple[int, int]]] = {
            fn: [span] for fn, span in spans.items()
        }
        self._identity: dict[Function, dict[int, int]] = {}
        for spec in profile.identity:
            if spec.unit_id is not None:
                continue  # served by another unit (a station's own id)
            words = identity_words(spec, unit)
            image = self._identity.setdefault(spec.function, {})
            for i, w in enumerate(words):
                image[spec.address + i] = w
            segment = (spec.address, spec.address + spec.count)
            self._segments.setdefault(spec.function, []).append(segment)

    def values(self) -> Mapping[Measurement, Value | None]:
        """Current engineering values; overridden by each device kind."""
        return {}

    def row_value(
        self, row: RegisterSpec, values: Mapping[Measurement, Value | None]
    ) -> Value | None:
        """The value of one row; devices with channels override this."""
        return values.get(row.measurement)

    def live_image(self, function: Function) -> dict[int, int]:
        """Address -> word for every row and identity register of ``function``."""
        values = self.values()
        out: dict[int, int] = {}
        for row in self.profile.registers:
            if row.function is not function:
                continue
            value = self.row_value(row, values)
            words = [0xFFFF] * row.count if value is None else encode_row(row, value)
            for i, w in enumerate(words):
                out[row.address + i] = out.get(row.address + i, 0) | w
        for address, word in self._identity.get(function, {}).items():
            out.setdefault(address, word)  # a row's live value wins
        return out

    def image(self, function: Function) -> dict[int, int]:
        """The image served now: live, or frozen.

        Frozen at :meth:`freeze`, or else at the first read after
        ``faults.frozen`` was set.
        """
        if not self.faults.frozen:
            self._frozen = None
            return self.live_image(function)
        if self._frozen is None:
            self._frozen = {fn: self.live_image(fn) for fn in self._segments}
        return self._frozen.get(function, {})

    def freeze(self) -> None:
        """Stop the register values where they are now (fault 'frozen values')."""
        self.faults.frozen = True
        self._frozen = {fn: self.live_image(fn) for fn in self._segments}

    def read(self, function: int, address: int, count: int) -> list[int] | int:
        """Serve a read: words, or a Modbus exception code."""
        self.reads += 1
        if self.before_read is not None:
            self.before_read(function, address)
        if self.faults.exception_code is not None:
            return self.faults.exception_code
        try:
            fn = Function(function)
        except ValueError:
            return ILLEGAL_FUNCTION
        segments = self._segments.get(fn)
        if segments is None:
            return ILLEGAL_FUNCTION
        limit = 2000 if fn.is_bits else self.profile.max_registers_per_request
        if not 1 <= count <= limit:
            return ILLEGAL_VALUE
        end = address + count
        if not any(lo <= address and end <= hi for lo, hi in segments):
            return ILLEGAL_ADDRESS
        for lo, hi in self.profile.unreadable:
            if lo < end and address <= hi:
                return ILLEGAL_ADDRESS
        if self.faults.zeroed:
            return [0] * count
        img = self.image(fn)
        return [img.get(a, 0) for a in range(address, end)]

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
