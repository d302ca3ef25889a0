"""The SunSpec map of a simulated device, built from a SunSpec model's profile.

A SunSpec profile (``sunspec_model = 20x``) gives its points as offsets into the
model's body. A real device announces that model in a chain of holding
registers, which is what ``edge scan`` and any SunSpec master walk::

    base        "SunS" (0x5375 0x6E53)
    base + 2    1, 66, common model: Mn, Md, Opt, Vr, SN (strings), DA, Pad
    base + 70   model id, L, the model's body (L registers, the profile's points)
    ...         0xFFFF, 0 (end marker)

Nothing here is per model: the body length comes from the SunSpec model table
(:data:`drivers.modbus.sunspec.MODEL_LENGTHS`), the points from the profile. A
point's scale factor is fixed per ``sf_address`` (the finest decade that keeps
the rated range of every point sharing it inside its register type), as on
real meters, so a value and its scale factor never disagree between two reads.
Registers no profile row names read "not implemented": 0x8000 (int16, sunssf),
or 0 beside 32-bit points (acc32).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from drivers.errors import ProfileError
from drivers.modbus.codec import CodecError, DataType, encode
from drivers.modbus.decode import Value, encode_row
from drivers.modbus.profile import Profile, RegisterSpec
from drivers.modbus.sunspec import (
    BASE_ADDRESSES,
    COMMON_LENGTH,
    COMMON_MODEL,
    END_ID,
    MODEL_LENGTHS,
    SUNS,
    body_span,
)
from edge.model.measurement import UNIT

DEFAULT_BASE = BASE_ADDRESSES[0]
NOT_IMPLEMENTED = 0x8000
"""int16, sunssf and pad "not implemented"."""
ACC_NOT_IMPLEMENTED = 0
"""acc32 "not implemented" (a word of it)."""
RATED: Mapping[str, float] = {
    "V": 500.0,
    "A": 200.0,
    "W": 30_000.0,
    "var": 30_000.0,
    "Hz": 70.0,
    "": 1.0,
    "Wh": 1.0e9,
}
"""Largest magnitude a simulated point may take, by canonical unit."""
_RANGE: Mapping[DataType, float] = {
    DataType.S16: 32_767,
    DataType.U16: 65_534,
    DataType.S32: 2**31 - 1,
    DataType.U32: 2**32 - 1,
}
RowValue = Callable[[RegisterSpec], Value | None]


@dataclass(frozen=True)
class CommonInfo:
    """What model 1 says about the device (each text at most its field's size)."""

    manufacturer: str
    model: str
    serial_number: str
    version: str = "1.0"
    options: str = ""


def common_body(info: CommonInfo, unit: int) -> list[int]:
    """Model 1's body: strings NUL padded, the device address, the pad."""

    def text(value: str, registers: int) -> list[int]:
        return encode(value[: 2 * registers], DataType.STR, length=registers)

    return (
        text(info.manufacturer, 16)
        + text(info.model, 16)
        + text(info.options, 8)
        + text(info.version, 8)
        + text(info.serial_number, 16)
        + [unit, NOT_IMPLEMENTED]
    )


def exponent(rows: Sequence[RegisterSpec]) -> int:
    """The finest decade (from -3) at which every row's rated range fits its type."""
    for e in range(-3, 10):
        if all(_rated_raw(row) <= _RANGE.get(row.type, 0) * 10.0**e for row in rows):
            return e
    raise ProfileError(f"no scale factor fits {[r.measurement for r in rows]}")


def _rated_raw(row: RegisterSpec) -> float:
    return RATED.get(UNIT[row.measurement], 1.0e6) / abs(row.scale)


class SunSpecMap:
    """The holding registers of one SunSpec device serving one model profile."""

    def __init__(
        self,
        profile: Profile,
        unit: int,
        info: CommonInfo,
        base: int = DEFAULT_BASE,
    ) -> None:
        model_id = profile.sunspec_model
        if model_id is None or not profile.relative:
            raise ProfileError(f"{profile.id}: not a SunSpec model profile")
        length = MODEL_LENGTHS.get(model_id, body_span(profile))
        if length < body_span(profile):
            raise ProfileError(f"{profile.id}: points beyond model {model_id}'s body")
        self.base = base
        self.model_address = base + 2 + 2 + COMMON_LENGTH
        self.body = self.model_address + 2
        self.end_address = self.body + length
        self.profile = profile.rebased(self.body)
        self.exponents: dict[int, int] = {}
        groups: dict[int, list[RegisterSpec]] = {}
        for row in self.profile.registers:
            if row.sf_address is not None:
                groups.setdefault(row.sf_address, []).append(row)
        self._fill: dict[int, int] = dict.fromkeys(
            range(self.body, self.end_address), NOT_IMPLEMENTED
        )
        for sf_address, rows in groups.items():
            self.exponents[sf_address] = exponent(rows)
            if all(r.count == 2 for r in rows):
                first = min(r.address for r in rows)
                self._fill.update(dict.fromkeys(range(first, sf_address), 0))
        self._static: dict[int, int] = {}
        self._put(base, [*SUNS, COMMON_MODEL, COMMON_LENGTH, *common_body(info, unit)])
        self._put(self.model_address, [model_id, length])
        self._put(self.end_address, [END_ID, 0])

    @property
    def segment(self) -> tuple[int, int]:
        """The readable span: "SunS" up to the end marker, both included."""
        return (self.base, self.end_address + 2)

    def _put(self, address: int, words: Sequence[int]) -> None:
        for i, w in enumerate(words):
            self._static[address + i] = w

    def image(self, value_of: RowValue) -> dict[int, int]:
        """Address -> word of the whole chain, the points from ``value_of``."""
        out = dict(self._static)
        out.update(self._fill)
        for sf_address, e in self.exponents.items():
            out[sf_address] = e & 0xFFFF
        for row in self.profile.registers:
            sf = None if row.sf_address is None else self.exponents[row.sf_address]
            words = self._encode(row, value_of(row), sf)
            for i, w in enumerate(words):
                out[row.address + i] = w
        return out

    def _encode(
        self, row: RegisterSpec, value: Value | None, sf: int | None
    ) -> list[int]:
        if value is not None:
            try:
                return encode_row(row, value, sf)
            except CodecError:
                pass  # beyond the register's range: the meter says "no value"
        if row.not_available:
            sentinel = min(row.not_available)
            return [(sentinel >> (16 * i)) & 0xFFFF for i in reversed(range(row.count))]
        fill = ACC_NOT_IMPLEMENTED if row.count == 2 else NOT_IMPLEMENTED
        return [fill] * row.count
