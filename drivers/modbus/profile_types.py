"""The typed register map a profile file is loaded into (see drivers.modbus.profile)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from pathlib import Path

from drivers.modbus.codec import ByteOrder, DataType, WordOrder, word_count
from edge.model.measurement import Measurement

MAX_READ_REGISTERS = 125
MAX_READ_BITS = 2000


class Function(IntEnum):
    """Modbus read function codes a register row can name."""

    COILS = 1
    DISCRETE_INPUTS = 2
    HOLDING = 3
    INPUT = 4

    @property
    def is_bits(self) -> bool:
        """Whether this function reads single bits (coils, discrete inputs)."""
        return self in (Function.COILS, Function.DISCRETE_INPUTS)


class WriteFunction(IntEnum):
    """Modbus write function codes a control can name."""

    WRITE_COIL = 5
    WRITE_REGISTER = 6
    WRITE_REGISTERS = 16


class DeviceKind(StrEnum):
    """What a profile describes."""

    METER = "meter"
    EVSE_BOARD = "evse_board"
    RELAY = "relay"


class PollClass(StrEnum):
    """How often a register is read."""

    FAST = "fast"
    SLOW = "slow"


@dataclass(frozen=True)
class RegisterSpec:
    """One measurement's register row, already converted to canonical units."""

    measurement: Measurement
    function: Function
    address: int
    type: DataType
    word_order: WordOrder
    byte_order: ByteOrder
    scale: float
    """Multiply the raw value by this to get the canonical unit."""
    poll: PollClass
    length: int | None = None
    values: Mapping[int, str] | None = None
    not_available: frozenset[int] = frozenset()
    bit: int | None = None
    """When set, the value is this bit (0 = least significant) of the raw word."""
    mask: int | None = None
    """When set, the raw integer is ANDed with this before ``bit`` and ``values``."""
    sf_address: int | None = None
    """Address (same function) of an s16 decade exponent: value *= 10**sf."""
    text_values: Mapping[str, str] | None = None
    """For ``str`` rows: text read from the device -> symbol."""
    channel: int | None = None
    """Which of several identical channels (relay modules), numbered from 1."""
    inverted: bool = False
    """Boolean rows: the value is the negation of the raw bit (NC contacts)."""

    @property
    def count(self) -> int:
        """Registers (or bits) this row occupies."""
        return word_count(self.type, self.length)

    @property
    def end(self) -> int:
        """One past the last address of this row."""
        return self.address + self.count


@dataclass(frozen=True)
class IdentitySpec:
    """A register whose content recognises the model."""

    function: Function
    address: int
    type: DataType
    word_order: WordOrder
    length: int | None = None
    equals: int | str | None = None
    one_of: tuple[int | str, ...] = ()
    prefix: str | None = None
    any: bool = False
    """The register merely has to answer (models without an identity value)."""
    unit_id: int | None = None
    """Read this row from another unit id (Alfen: station data on unit 200)."""

    @property
    def count(self) -> int:
        """Registers this identity row occupies."""
        return word_count(self.type, self.length)

    @property
    def specific(self) -> bool:
        """Whether the row checks a value (rather than merely answering)."""
        return not self.any


@dataclass(frozen=True)
class ControlSpec:
    """A writable control: a setpoint register or an on/off coil or register."""

    function: WriteFunction | None
    address: int | None
    type: DataType
    word_order: WordOrder
    scale: float = 1.0
    on: int | None = None
    off: int | None = None
    via: str | None = None


@dataclass(frozen=True)
class Profile:
    """A device model's register map."""

    id: str
    kind: DeviceKind
    manufacturer: str
    model: str
    products: tuple[str, ...]
    registers: tuple[RegisterSpec, ...]
    identity: tuple[IdentitySpec, ...] = ()
    controls: Mapping[str, ControlSpec] = field(default_factory=dict)
    max_registers_per_request: int = MAX_READ_REGISTERS
    unreadable: tuple[tuple[int, int], ...] = ()
    turnaround_ms: float = 20.0
    watchdog_s: float | None = None
    path: Path | None = None
    absent: tuple[Measurement, ...] = ()
    """Measurements of the usual set this model does not have (see absent_reason)."""
    absent_reason: str | None = None
    unit_id: int | None = None
    """The unit id the device answers on by default (None: configured per site)."""
    sunspec_model: int | None = None
    """SunSpec model id: addresses are offsets into that model's body."""
    base: int | None = None
    """Set by :meth:`rebased`: the absolute address the offsets were moved by."""

    def register(
        self, measurement: Measurement, channel: int | None = None
    ) -> RegisterSpec | None:
        """The row for ``measurement`` (and ``channel``), if the model has one."""
        for spec in self.registers:
            if spec.measurement is measurement and (
                channel is None or spec.channel == channel
            ):
                return spec
        return None

    @property
    def relative(self) -> bool:
        """Whether addresses are offsets found by discovery (SunSpec)."""
        return self.sunspec_model is not None and self.base is None

    def rebased(self, base: int) -> Profile:
        """This profile with every address shifted by ``base`` (discovered start)."""

        def move(spec: RegisterSpec) -> RegisterSpec:
            sf = spec.sf_address
            return dataclasses.replace(
                spec,
                address=spec.address + base,
                sf_address=None if sf is None else sf + base,
            )

        return dataclasses.replace(
            self,
            registers=tuple(move(r) for r in self.registers),
            unreadable=tuple((a + base, b + base) for a, b in self.unreadable),
            base=base,
        )
