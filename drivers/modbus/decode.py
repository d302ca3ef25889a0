"""Turn the words read for one profile row into an engineering value."""

from __future__ import annotations

import math
from collections.abc import Sequence

from drivers.errors import DeviceFault
from drivers.modbus.codec import CodecError, DataType, decode, encode
from drivers.modbus.profile import RegisterSpec

Value = float | str
"""A decoded value: a number in the measurement's canonical unit, or a symbol."""


def decode_row(spec: RegisterSpec, words: Sequence[int]) -> Value | None:
    """Decode ``words`` (exactly ``spec.count`` of them) for ``spec``.

    Returns ``None`` when the device says "not available" (a profile sentinel),
    a symbol when the row has a value map, else ``raw * scale`` as a float.
    Raises :class:`DeviceFault` on a value the profile cannot explain.
    """
    try:
        raw = decode(words, spec.type, spec.word_order, spec.byte_order)
    except CodecError as exc:
        raise DeviceFault(f"{spec.measurement} at {spec.address}: {exc}") from exc
    if isinstance(raw, str):
        return raw
    if spec.type not in (DataType.F32, DataType.F64) and spec.not_available:
        unsigned = _unsigned(words, spec)
        if unsigned in spec.not_available:
            return None
    if isinstance(raw, float) and not math.isfinite(raw):
        return None
    if spec.bit is not None:
        raw = (int(raw) >> spec.bit) & 1
    if spec.values is not None:
        symbol = spec.values.get(int(raw))
        if symbol is None:
            raise DeviceFault(
                f"{spec.measurement} at {spec.address}: raw value {raw} is not one "
                f"of {sorted(spec.values)} listed in the profile"
            )
        return symbol
    return float(raw) * spec.scale


def encode_row(spec: RegisterSpec, value: Value) -> list[int]:
    """Encode an engineering value (or symbol) for ``spec`` (the simulator's side)."""
    if spec.values is not None:
        inverse = {v: k for k, v in spec.values.items()}
        raw: float | int | str = inverse[str(value)]
    elif isinstance(value, str):
        raw = value
    else:
        raw = value / spec.scale
    if spec.bit is not None:
        raw = (1 << spec.bit) if raw else 0
    return encode(raw, spec.type, spec.word_order, spec.byte_order, spec.length)


def _unsigned(words: Sequence[int], spec: RegisterSpec) -> int:
    value = 0
    ordered = words if spec.word_order == "big" else list(reversed(words))
    for w in ordered:
        value = (value << 16) | w
    return value
