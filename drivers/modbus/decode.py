"""Turn the words read for one profile row into an engineering value.

:func:`decode_row` handles one row given its words (and, for SunSpec-style
rows, the decade exponent read from the row's ``sf_address``).
:func:`decode_image` decodes many rows from a register image, the words of
several read blocks keyed by (function, address), looking the exponents up.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from drivers.errors import DeviceFault
from drivers.modbus.coalesce import ReadBlock
from drivers.modbus.codec import CodecError, DataType, decode, encode
from drivers.modbus.profile import Function, RegisterSpec

Value = float | str
"""A decoded value: a number in the measurement's canonical unit, or a symbol."""

RegisterImage = Mapping[tuple[Function, int], int]
"""Words (or bits) read from a device, by function code and address."""

SF_NOT_IMPLEMENTED = -32768
"""A SunSpec scale factor of 0x8000: the values it scales are not available."""


def decode_row(
    spec: RegisterSpec, words: Sequence[int], sf: int | None = None
) -> Value | None:
    """Decode ``words`` (exactly ``spec.count`` of them) for ``spec``.

    Returns ``None`` when the device says "not available" (a profile sentinel,
    a NaN float, or a not-implemented scale factor), a symbol when the row has
    a value map, else ``raw * scale`` (times ``10**sf`` for rows with an
    ``sf_address``) as a float. Raises :class:`DeviceFault` on a value the
    profile cannot explain.
    """
    try:
        raw = decode(words, spec.type, spec.word_order, spec.byte_order)
    except CodecError as exc:
        raise DeviceFault(f"{spec.measurement} at {spec.address}: {exc}") from exc
    if isinstance(raw, str):
        if spec.text_values is None:
            return raw
        text = spec.text_values.get(raw)
        if text is None:
            raise _unknown(spec, raw, sorted(spec.text_values))
        return text
    floating = spec.type in (DataType.F32, DataType.F64)
    if not floating and _unsigned(words, spec) in spec.not_available:
        return None
    if isinstance(raw, float) and not math.isfinite(raw):
        return None
    if spec.mask is not None:
        raw = int(raw) & spec.mask
    if spec.bit is not None:
        raw = (int(raw) >> spec.bit) & 1
    if spec.inverted:
        raw = 0 if raw else 1
    if spec.values is not None:
        symbol = spec.values.get(int(raw))
        if symbol is None:
            raise _unknown(spec, raw, sorted(spec.values))
        return symbol
    value = float(raw) * spec.scale
    if spec.sf_address is None:
        return value
    if sf is None:
        raise DeviceFault(f"{spec.measurement} at {spec.address}: scale factor unread")
    if sf == SF_NOT_IMPLEMENTED:
        return None
    return value * 10.0**sf if sf >= 0 else value / 10.0**-sf


def encode_row(spec: RegisterSpec, value: Value, sf: int | None = None) -> list[int]:
    """Encode an engineering value (or symbol) for ``spec`` (the simulator's side).

    ``sf`` is the decade exponent the device publishes at ``spec.sf_address``.
    """
    raw: float | int | str
    if spec.text_values is not None:
        raw = {v: k for k, v in spec.text_values.items()}[str(value)]
    elif spec.values is not None:
        raw = {v: k for k, v in spec.values.items()}[str(value)]
    elif isinstance(value, str):
        raw = value
    else:
        raw = value / spec.scale
        if spec.sf_address is not None:
            exponent = sf or 0
            raw = raw / 10.0**exponent if exponent >= 0 else raw * 10.0**-exponent
    if spec.inverted:
        raw = 0 if raw else 1
    if spec.bit is not None:
        raw = (1 << spec.bit) if raw else 0
    return encode(raw, spec.type, spec.word_order, spec.byte_order, spec.length)


def image_from_blocks(
    blocks: Sequence[ReadBlock], answers: Sequence[Sequence[int]]
) -> dict[tuple[Function, int], int]:
    """Key the words answered to each block by (function, address)."""
    image: dict[tuple[Function, int], int] = {}
    for block, words in zip(blocks, answers, strict=True):
        if len(words) != block.count:
            raise DeviceFault(
                f"read of {block.count} at {block.address} returned {len(words)}"
            )
        for offset, word in enumerate(words):
            image[(block.function, block.address + offset)] = word
    return image


def decode_image(
    rows: Sequence[RegisterSpec], image: RegisterImage
) -> list[tuple[RegisterSpec, Value | None]]:
    """Decode every row whose words (and scale factor) are in ``image``."""
    out: list[tuple[RegisterSpec, Value | None]] = []
    for spec in rows:
        words = [_word(image, spec.function, a) for a in range(spec.address, spec.end)]
        sf = None
        if spec.sf_address is not None:
            sf_word = _word(image, spec.function, spec.sf_address)
            sf = sf_word - 0x10000 if sf_word & 0x8000 else sf_word
        out.append((spec, decode_row(spec, words, sf)))
    return out


def _word(image: RegisterImage, function: Function, address: int) -> int:
    try:
        return image[(function, address)]
    except KeyError:
        raise DeviceFault(
            f"function {function} address {address} was not read"
        ) from None


def _unknown(spec: RegisterSpec, raw: object, known: Sequence[object]) -> DeviceFault:
    return DeviceFault(
        f"{spec.measurement} at {spec.address}: raw value {raw!r} is not one "
        f"of {list(known)} listed in the profile"
    )


def _unsigned(words: Sequence[int], spec: RegisterSpec) -> int:
    value = 0
    ordered = words if spec.word_order == "big" else list(reversed(words))
    for w in ordered:
        value = (value << 16) | w
    return value
