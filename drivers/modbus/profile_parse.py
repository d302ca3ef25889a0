"""Parse and validate profile TOML into :mod:`drivers.modbus.profile_types`.

Every error is a :class:`ProfileError` whose message starts with the file (or
the profile id when parsed from memory) and names the key, for example
``.../eastron_sdm630.toml: register[3].unit: unknown unit 'kW h'``. Typed access
to one table is :class:`~drivers.modbus.profile_parse_table.Reader`; here are the
tables of a profile and the checks across its rows.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from drivers.errors import ProfileError
from drivers.modbus.codec import ByteOrder, CodecError, DataType, WordOrder
from drivers.modbus.profile_parse_table import REQUIRED, Reader
from drivers.modbus.profile_types import (
    MAX_READ_BITS,
    MAX_READ_REGISTERS,
    ControlSpec,
    DeviceKind,
    Function,
    IdentitySpec,
    PollClass,
    Profile,
    RegisterSpec,
    WriteFunction,
)
from edge.model.measurement import UNIT, UNIT_FACTORS, Measurement


def check_rows(
    rows: tuple[RegisterSpec, ...],
    label: str,
    *,
    max_registers: int,
    unreadable: tuple[tuple[int, int], ...],
) -> None:
    """Reject duplicate or overlapping rows and rows no single read can fetch."""
    seen: set[tuple[Measurement, int | None]] = set()
    for i, spec in enumerate(rows):
        where = f"{label}: register[{i}]"
        key = (spec.measurement, spec.channel)
        if key in seen:
            raise ProfileError(f"{where}.measurement: {spec.measurement} appears twice")
        seen.add(key)
        cap = MAX_READ_BITS if spec.function.is_bits else max_registers
        if spec.count > cap:
            raise ProfileError(f"{where}.length: {spec.count} exceeds one read ({cap})")
        for lo, hi in unreadable:
            if lo < spec.end and spec.address <= hi:
                raise ProfileError(
                    f"{where}.address: {spec.address} lies in unreadable [{lo}, {hi}]"
                )
        for j, other in enumerate(rows[:i]):
            shared_word = (
                spec.bit is not None
                and other.bit is not None
                and (spec.address, spec.count) == (other.address, other.count)
            )
            overlaps = other.address < spec.end and spec.address < other.end
            if spec.function == other.function and overlaps and not shared_word:
                raise ProfileError(
                    f"{where}.address: {spec.address} overlaps register[{j}]"
                )


_TOP_KEYS = {"device", "identity", "register", "control", "watchdog"}
_DEVICE_KEYS = {
    "kind",
    "manufacturer",
    "model",
    "products",
    "max_registers_per_request",
    "unreadable",
    "turnaround_ms",
    "absent",
    "absent_reason",
    "unit_id",
    "sunspec_model",
}
_REGISTER_KEYS = {
    "measurement",
    "function",
    "address",
    "type",
    "word_order",
    "byte_order",
    "scale",
    "unit",
    "poll",
    "length",
    "values",
    "not_available",
    "bit",
    "mask",
    "sf_address",
    "channel",
    "inverted",
}
_IDENTITY_KEYS = {
    "function",
    "address",
    "type",
    "word_order",
    "length",
    "equals",
    "one_of",
    "prefix",
    "any",
    "unit_id",
}
_CONTROL_KEYS = {
    "function",
    "address",
    "type",
    "word_order",
    "scale",
    "unit",
    "on",
    "off",
    "via",
}


def _address(r: Reader, key: str, default: Any = REQUIRED) -> Any:
    value = r.integer(key, default)
    if value is not None and not 0 <= value <= 0xFFFF:
        raise ProfileError(f"{r.where}.{key}: {value} is outside 0..65535")
    return value


def _values(r: Reader, dtype: DataType) -> tuple[Any, Any]:
    raw = r.table_of("values")
    if raw is None:
        return None, None
    if dtype is DataType.STR:
        return None, {str(k): str(v) for k, v in raw.items()}
    try:
        return {int(k, 0): str(v) for k, v in raw.items()}, None
    except ValueError:
        raise r.error("values", "keys must be integers") from None


def _parse_register(tbl: Mapping[str, Any], where: str) -> RegisterSpec:
    r = Reader(tbl, where, _REGISTER_KEYS)
    measurement = r.enum("measurement", Measurement, REQUIRED)
    dtype = r.enum("type", DataType, REQUIRED)
    unit = r.text("unit", REQUIRED)
    if unit not in UNIT_FACTORS:
        raise r.error("unit", f"unknown unit {unit!r}")
    canonical, factor = UNIT_FACTORS[unit]
    if canonical != UNIT[measurement]:
        raise r.error(
            "unit", f"{measurement} is measured in {UNIT[measurement]!r}, not {unit!r}"
        )
    values, text_values = _values(r, dtype)
    try:
        spec = RegisterSpec(
            measurement=measurement,
            function=r.enum("function", Function, REQUIRED),
            address=_address(r, "address"),
            type=dtype,
            word_order=r.enum("word_order", WordOrder, REQUIRED),
            byte_order=r.enum("byte_order", ByteOrder, "big"),
            scale=r.num("scale", REQUIRED) * factor,
            poll=r.enum("poll", PollClass, "slow"),
            length=r.integer("length"),
            values=values,
            not_available=frozenset(r.int_list("not_available")),
            bit=r.integer("bit"),
            mask=r.integer("mask"),
            sf_address=_address(r, "sf_address", None),
            text_values=text_values,
            channel=r.integer("channel"),
            inverted=r.flag("inverted"),
        )
        count = spec.count
    except CodecError as exc:
        raise r.error("length", str(exc)) from None
    if spec.bit is not None and not 0 <= spec.bit < 16 * count:
        raise r.error("bit", f"{spec.bit} is outside the register")
    if spec.function.is_bits != (dtype is DataType.BOOL):
        raise r.error("type", "type bool goes with functions 1 and 2 only")
    if spec.sf_address is not None and dtype in (DataType.F32, DataType.F64):
        raise r.error("sf_address", "floats carry their own exponent")
    if spec.channel is not None and spec.channel < 1:
        raise r.error("channel", "channels are numbered from 1")
    return spec


def _parse_identity(tbl: Mapping[str, Any], where: str) -> IdentitySpec:
    r = Reader(tbl, where, _IDENTITY_KEYS)
    spec = IdentitySpec(
        function=r.enum("function", Function, REQUIRED),
        address=_address(r, "address"),
        type=r.enum("type", DataType, REQUIRED),
        word_order=r.enum("word_order", WordOrder, "big"),
        length=r.integer("length"),
        equals=r.get("equals", (int, str), None),
        one_of=tuple(r.get("one_of", (list,), [])),
        prefix=r.text("prefix"),
        any=r.flag("any"),
        unit_id=r.integer("unit_id"),
    )
    if spec.equals is None and not spec.one_of and spec.prefix is None and not spec.any:
        raise ProfileError(f"{where}: needs one of equals, one_of, prefix or any")
    return spec


def _parse_control(tbl: Mapping[str, Any], where: str) -> ControlSpec:
    r = Reader(tbl, where, _CONTROL_KEYS)
    via = r.text("via")
    fn = r.integer("function")
    if via is None and fn is None:
        raise ProfileError(f"{where}: needs function and address, or via")
    try:
        function = WriteFunction(fn) if fn is not None else None
    except ValueError:
        raise r.error("function", f"{fn} is not 5, 6 or 16") from None
    unit = r.text("unit", "")
    if unit not in UNIT_FACTORS:
        raise r.error("unit", f"unknown unit {unit!r}")
    return ControlSpec(
        function=function,
        address=_address(r, "address", None),
        type=r.enum("type", DataType, "u16"),
        word_order=r.enum("word_order", WordOrder, "big"),
        scale=r.num("scale", 1.0) * UNIT_FACTORS[unit][1],
        on=r.integer("on"),
        off=r.integer("off"),
        via=via,
    )


def _parse_device(d: Reader, registers: tuple[RegisterSpec, ...]) -> dict[str, Any]:
    absent = tuple(
        Measurement(m) for m in d.enum_list("absent", Measurement)
    )  # validated names
    reason = d.text("absent_reason")
    if absent and not reason:
        raise d.error("absent_reason", "missing: say why the measurements are absent")
    present = {r.measurement for r in registers}
    for m in absent:
        if m in present:
            raise d.error("absent", f"{m} is listed absent but has a register")
    max_regs = d.integer("max_registers_per_request", MAX_READ_REGISTERS)
    if not 1 <= max_regs <= MAX_READ_REGISTERS:
        raise d.error(
            "max_registers_per_request",
            f"{max_regs} is outside 1..{MAX_READ_REGISTERS}",
        )
    unreadable = []
    for pair in d.get("unreadable", (list,), []):
        if not (isinstance(pair, list) and len(pair) == 2 and pair[0] <= pair[1]):
            raise d.error("unreadable", f"{pair!r} is not [first, last]")
        unreadable.append((int(pair[0]), int(pair[1])))
    return {
        "kind": d.enum("kind", DeviceKind, REQUIRED),
        "manufacturer": d.text("manufacturer", REQUIRED),
        "model": d.text("model", REQUIRED),
        "products": tuple(d.get("products", (list,), [])),
        "max_registers_per_request": max_regs,
        "unreadable": tuple(unreadable),
        "turnaround_ms": d.num("turnaround_ms", 20.0),
        "absent": absent,
        "absent_reason": reason,
        "unit_id": d.integer("unit_id"),
        "sunspec_model": d.integer("sunspec_model"),
    }


def parse_profile(
    data: Mapping[str, Any], profile_id: str, path: Path | None = None
) -> Profile:
    """Build a :class:`Profile` from parsed TOML, naming file and key of any error."""
    label = str(path) if path is not None else profile_id
    top = Reader(data, label, _TOP_KEYS)
    registers = tuple(
        _parse_register(t, f"{label}: register[{i}]")
        for i, t in enumerate(top.get("register", (list,), []))
    )
    device = Reader(
        top.get("device", (dict,), REQUIRED), f"{label}: device", _DEVICE_KEYS
    )
    fields = _parse_device(device, registers)
    check_rows(
        registers,
        label,
        max_registers=fields["max_registers_per_request"],
        unreadable=fields["unreadable"],
    )
    identity = tuple(
        _parse_identity(t, f"{label}: identity[{i}]")
        for i, t in enumerate(top.get("identity", (list,), []))
    )
    controls = {
        name: _parse_control(t, f"{label}: control.{name}")
        for name, t in top.get("control", (dict,), {}).items()
    }
    for name, control in controls.items():
        if control.via is not None and control.via not in controls:
            raise ProfileError(
                f"{label}: control.{name}.via: no control named {control.via!r}"
            )
    watchdog = top.get("watchdog", (dict,), None)
    period = None
    if watchdog is not None:
        period = Reader(watchdog, f"{label}: watchdog", {"period_s"}).num(
            "period_s", REQUIRED
        )
    return Profile(
        id=profile_id,
        registers=registers,
        identity=identity,
        controls=controls,
        watchdog_s=period,
        path=path,
        **fields,
    )


def load_profile_file(path: Path) -> Profile:
    """Load one profile file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{path}: {exc}") from None
    return parse_profile(data, path.stem, path)
