"""Device profiles: one TOML file per device model, loaded into a typed register map.

A profile is data. It names the model, the products it covers, the identity
registers that recognise it, one row per measurement (function, address, type,
word order, scale, unit) and, for EVSE boards and relays, the control registers.
There are no conditionals and no templates; 0 never means "absent".

File layout (see drivers/profiles/meters/eastron_sdm630.toml for a full example)::

    [device]
    kind = "meter"                  # meter | evse_board | relay
    manufacturer = "Eastron"
    model = "SDM630"
    products = ["SDM630 v2", "SDM630-Modbus MID"]
    max_registers_per_request = 80 # optional, default 125
    unreadable = [[80, 199]]        # optional: address ranges never to read across
    turnaround_ms = 30              # optional: typical answer latency (simulator)

    [[identity]]                    # optional: how `edge scan` recognises the model
    function = 3
    address = 64512
    type = "u32"
    word_order = "big"
    # one of: equals = 123 / one_of = [..] / prefix = "B23" (strings) / any = true

    [[register]]
    measurement = "energy_import"   # a member of edge.model.measurement.Measurement
    function = 4                    # 1 coils, 2 discrete inputs, 3 holding, 4 input
    address = 72                    # 0-based protocol address
    type = "f32"                    # drivers.modbus.codec.DataType
    word_order = "big"              # big (high word first) | little
    byte_order = "big"              # optional, default big
    scale = 1.0                     # engineering value = raw * scale, in `unit`
    unit = "kWh"                    # converted to the measurement's canonical unit
    poll = "fast"                   # fast: every cycle (control needs it) | slow
    not_available = [0xFFFFFFFF]    # optional raw values meaning "no value"
    [register.values]               # optional: raw value -> symbol (CP state)
    1 = "A"

    [control.current_limit]         # evse boards: setpoint
    function = 16                   # 5 coil, 6 single register, 16 multiple
    address = 1000
    type = "u16"
    scale = 1.0
    unit = "A"
    [control.enable]                # either a register/coil with on/off values ...
    function = 5
    address = 400
    on = 1
    off = 0
    # ... or `via = "current_limit"`: disabled writes current_limit = off value.

    [watchdog]                      # optional: the board drops to safe if the
    period_s = 10                   # setpoint is not rewritten within period_s
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Any

from drivers.errors import ProfileError
from drivers.modbus.codec import ByteOrder, DataType, WordOrder, word_count
from edge.model.measurement import UNIT, UNIT_FACTORS, Measurement

PROFILE_ROOT = Path(__file__).resolve().parent.parent / "profiles"
MAX_READ_REGISTERS = 125


class Function(IntEnum):
    """Modbus read function codes a register row can name."""

    COILS = 1
    DISCRETE_INPUTS = 2
    HOLDING = 3
    INPUT = 4


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

    @property
    def count(self) -> int:
        """Registers this identity row occupies."""
        return word_count(self.type, self.length)


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

    def register(self, measurement: Measurement) -> RegisterSpec | None:
        """The row for ``measurement``, if the model has one."""
        for spec in self.registers:
            if spec.measurement is measurement:
                return spec
        return None


_DEVICE_KEYS = {
    "kind",
    "manufacturer",
    "model",
    "products",
    "max_registers_per_request",
    "unreadable",
    "turnaround_ms",
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


class _Reader:
    """Typed access to one TOML table, with errors that name the key path."""

    def __init__(self, table: Mapping[str, Any], where: str, allowed: set[str]) -> None:
        self.table = table
        self.where = where
        unknown = sorted(set(table) - allowed)
        if unknown:
            raise ProfileError(f"{where}: unknown key {unknown[0]!r}")

    def _get(self, key: str, kinds: tuple[type, ...], default: Any) -> Any:
        if key not in self.table:
            if default is _REQUIRED:
                raise ProfileError(f"{self.where}.{key}: missing")
            return default
        value = self.table[key]
        if isinstance(value, bool) and bool not in kinds:
            raise ProfileError(f"{self.where}.{key}: expected {kinds[0].__name__}")
        if not isinstance(value, kinds):
            raise ProfileError(
                f"{self.where}.{key}: expected {kinds[0].__name__}, "
                f"got {type(value).__name__}"
            )
        return value

    def text(self, key: str, default: Any = None) -> Any:
        return self._get(key, (str,), default)

    def integer(self, key: str, default: Any = None) -> Any:
        return self._get(key, (int,), default)

    def num(self, key: str, default: Any = None) -> Any:
        value = self._get(key, (int, float), default)
        return float(value) if value is not None else None

    def enum(self, key: str, enum: Any, default: Any = None) -> Any:
        raw = self.table.get(key, default)
        if raw is _REQUIRED:
            raise ProfileError(f"{self.where}.{key}: missing")
        if raw is None:
            return None
        try:
            return enum(raw)
        except ValueError:
            choices = ", ".join(str(m.value) for m in enum)
            raise ProfileError(
                f"{self.where}.{key}: {raw!r} is not one of {choices}"
            ) from None


_REQUIRED: Any = object()


def _parse_register(tbl: Mapping[str, Any], where: str) -> RegisterSpec:
    r = _Reader(tbl, where, _REGISTER_KEYS)
    measurement = r.enum("measurement", Measurement, _REQUIRED)
    dtype = r.enum("type", DataType, _REQUIRED)
    unit = r.text("unit", _REQUIRED)
    if unit not in UNIT_FACTORS:
        raise ProfileError(f"{where}.unit: unknown unit {unit!r}")
    canonical, factor = UNIT_FACTORS[unit]
    if canonical != UNIT[measurement]:
        raise ProfileError(
            f"{where}.unit: {measurement} is measured in {UNIT[measurement]!r}, "
            f"not {unit!r}"
        )
    values_raw = r._get("values", (dict,), None)
    values = None
    if values_raw is not None:
        try:
            values = {int(k): str(v) for k, v in values_raw.items()}
        except ValueError:
            raise ProfileError(f"{where}.values: keys must be integers") from None
    na = r._get("not_available", (list,), [])
    address = r.integer("address", _REQUIRED)
    if not 0 <= address <= 0xFFFF:
        raise ProfileError(f"{where}.address: {address} is outside 0..65535")
    spec = RegisterSpec(
        measurement=measurement,
        function=r.enum("function", Function, _REQUIRED),
        address=address,
        type=dtype,
        word_order=r.enum("word_order", WordOrder, _REQUIRED),
        byte_order=r.enum("byte_order", ByteOrder, "big"),
        scale=r.num("scale", _REQUIRED) * factor,
        poll=r.enum("poll", PollClass, "slow"),
        length=r.integer("length"),
        values=values,
        not_available=frozenset(int(v) for v in na),
        bit=r.integer("bit"),
    )
    if spec.bit is not None and not 0 <= spec.bit < 16 * spec.count:
        raise ProfileError(f"{where}.bit: {spec.bit} is outside the register")
    try:
        spec.count  # noqa: B018 - validates the length of str rows
    except ValueError as exc:
        raise ProfileError(f"{where}: {exc}") from None
    bit_fn = spec.function in (Function.COILS, Function.DISCRETE_INPUTS)
    if bit_fn != (dtype is DataType.BOOL):
        raise ProfileError(f"{where}: type bool goes with functions 1 and 2 only")
    return spec


def _parse_identity(tbl: Mapping[str, Any], where: str) -> IdentitySpec:
    r = _Reader(tbl, where, _IDENTITY_KEYS)
    one_of = r._get("one_of", (list,), [])
    spec = IdentitySpec(
        function=r.enum("function", Function, _REQUIRED),
        address=r.integer("address", _REQUIRED),
        type=r.enum("type", DataType, _REQUIRED),
        word_order=r.enum("word_order", WordOrder, "big"),
        length=r.integer("length"),
        equals=r._get("equals", (int, str), None),
        one_of=tuple(one_of),
        prefix=r.text("prefix"),
        any=bool(r._get("any", (bool,), False)),
    )
    if spec.equals is None and not spec.one_of and spec.prefix is None and not spec.any:
        raise ProfileError(f"{where}: needs one of equals, one_of, prefix or any")
    return spec


def _parse_control(tbl: Mapping[str, Any], where: str) -> ControlSpec:
    r = _Reader(tbl, where, _CONTROL_KEYS)
    via = r.text("via")
    fn = r.integer("function")
    if via is None and fn is None:
        raise ProfileError(f"{where}: needs function and address, or via")
    try:
        function = WriteFunction(fn) if fn is not None else None
    except ValueError:
        raise ProfileError(f"{where}.function: {fn} is not 5, 6 or 16") from None
    unit = r.text("unit", "")
    factor = UNIT_FACTORS.get(unit, ("", 1.0))[1]
    return ControlSpec(
        function=function,
        address=r.integer("address"),
        type=r.enum("type", DataType, "u16"),
        word_order=r.enum("word_order", WordOrder, "big"),
        scale=r.num("scale", 1.0) * factor,
        on=r.integer("on"),
        off=r.integer("off"),
        via=via,
    )


def parse_profile(
    data: Mapping[str, Any], profile_id: str, path: Path | None = None
) -> Profile:
    """Build a :class:`Profile` from parsed TOML, naming the key of any error."""
    top = _Reader(
        data, profile_id, {"device", "identity", "register", "control", "watchdog"}
    )
    device = top._get("device", (dict,), _REQUIRED)
    d = _Reader(device, f"{profile_id}: device", _DEVICE_KEYS)
    registers = tuple(
        _parse_register(t, f"{profile_id}: register[{i}]")
        for i, t in enumerate(top._get("register", (list,), []))
    )
    seen: set[Measurement] = set()
    for i, spec in enumerate(registers):
        if spec.measurement in seen:
            raise ProfileError(
                f"{profile_id}: register[{i}]: {spec.measurement} appears twice"
            )
        seen.add(spec.measurement)
    identity = tuple(
        _parse_identity(t, f"{profile_id}: identity[{i}]")
        for i, t in enumerate(top._get("identity", (list,), []))
    )
    controls = {
        name: _parse_control(t, f"{profile_id}: control.{name}")
        for name, t in top._get("control", (dict,), {}).items()
    }
    unreadable = tuple((int(a), int(b)) for a, b in d._get("unreadable", (list,), []))
    watchdog = top._get("watchdog", (dict,), None)
    max_regs = d.integer("max_registers_per_request", MAX_READ_REGISTERS)
    if not 1 <= max_regs <= MAX_READ_REGISTERS:
        raise ProfileError(
            f"{profile_id}: device.max_registers_per_request: {max_regs} "
            f"is outside 1..{MAX_READ_REGISTERS}"
        )
    return Profile(
        id=profile_id,
        kind=d.enum("kind", DeviceKind, _REQUIRED),
        manufacturer=d.text("manufacturer", _REQUIRED),
        model=d.text("model", _REQUIRED),
        products=tuple(d._get("products", (list,), [])),
        registers=registers,
        identity=identity,
        controls=controls,
        max_registers_per_request=max_regs,
        unreadable=unreadable,
        turnaround_ms=d.num("turnaround_ms", 20.0),
        watchdog_s=float(watchdog["period_s"]) if watchdog else None,
        path=path,
    )


def load_profile_file(path: Path) -> Profile:
    """Load one profile file."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{path}: {exc}") from None
    return parse_profile(data, path.stem, path)


def profile_paths(root: Path = PROFILE_ROOT) -> dict[str, Path]:
    """Every profile file below ``root``, by id (the file name without .toml)."""
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*.toml")):
        if path.stem in found:
            raise ProfileError(f"{path}: profile id {path.stem!r} is used twice")
        found[path.stem] = path
    return found


class ProfileLibrary:
    """The profiles shipped with the drivers, loaded on first use."""

    def __init__(self, root: Path = PROFILE_ROOT) -> None:
        self._paths = profile_paths(root)
        self._loaded: dict[str, Profile] = {}

    def ids(self) -> list[str]:
        """Every known profile id."""
        return sorted(self._paths)

    def get(self, profile_id: str) -> Profile:
        """The profile ``profile_id``; :class:`ProfileError` if unknown."""
        if profile_id not in self._loaded:
            path = self._paths.get(profile_id)
            if path is None:
                raise ProfileError(f"unknown model {profile_id!r}")
            self._loaded[profile_id] = load_profile_file(path)
        return self._loaded[profile_id]
