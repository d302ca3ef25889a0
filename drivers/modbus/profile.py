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
    unit_id = 1                     # optional: the unit id it answers on by default
    absent = ["voltage_l2"]         # optional: usual measurements this model lacks
    absent_reason = "single phase"  # required with `absent`: why
    sunspec_model = 203             # optional: SunSpec model; addresses below are
                                    # offsets into the model body (after ID and L),
                                    # made absolute by discovery (Profile.rebased)

    [[identity]]                    # optional: how `edge scan` recognises the model
    function = 3
    address = 64512
    type = "u32"
    word_order = "big"
    # one of: equals = 123 / one_of = [..] / prefix = "B23" (strings) / any = true
    unit_id = 200                   # optional: read this row from another unit id

    [[register]]
    measurement = "energy_import"   # a member of edge.model.measurement.Measurement
    function = 4                    # 1 coils, 2 discrete inputs, 3 holding, 4 input
    address = 72                    # 0-based protocol address
    type = "f32"                    # drivers.modbus.codec.DataType: u16 s16 u32
                                    # s32 u64 s64 f32 f64 u24e s24e str bool
    word_order = "big"              # big (high word first) | little
    byte_order = "big"              # optional, default big
    scale = 1.0                     # engineering value = raw * scale, in `unit`
    unit = "kWh"                    # converted to the measurement's canonical unit
    poll = "fast"                   # fast: every cycle (control needs it) | slow
    not_available = [0xFFFFFFFF]    # optional raw values meaning "no value"
                                    # (compared as the unsigned raw word(s))
    mask = 0x00FF                   # optional: raw integer AND mask, applied
                                    # before `bit` and `values` (Phoenix EV-CC
                                    # keeps the CP letter in the low byte)
    sf_address = 13                 # optional: an s16 register (same function)
                                    # holding a decade exponent: value =
                                    # raw * scale * 10**sf (SunSpec sunssf);
                                    # sf = -32768 (0x8000) means not available
    channel = 1                     # optional: channel number (from 1) when a
                                    # measurement repeats (relay modules)
    inverted = true                 # optional, bool rows: value = not raw
                                    # (normally-closed mirror contacts)
    [register.values]               # optional: raw value -> symbol (CP state);
    1 = "A"                         # for type "str" the keys are the texts
                                    # read ("B1" = "B"), for others integers
                                    # (decimal or "0x41")

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
    period_s = 10                   # setpoint is not rewritten within period_s;
                                    # the bus scheduler rewrites the last command
                                    # every period_s / 3 while its controller runs

Validation (drivers/modbus/profile_parse.py) rejects unknown keys, wrong types,
units that do not match the measurement, a measurement (and channel) listed
twice, rows that overlap on the same function code (bit rows of one word may
share it), rows longer than one read, rows inside an `unreadable` range, and an
`absent` list without `absent_reason`. Every error names the file and the key.
"""

from __future__ import annotations

from pathlib import Path

from drivers.errors import ProfileError
from drivers.modbus.profile_parse import load_profile_file, parse_profile
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

__all__ = [
    "MAX_READ_BITS",
    "MAX_READ_REGISTERS",
    "PROFILE_ROOT",
    "ControlSpec",
    "DeviceKind",
    "Function",
    "IdentitySpec",
    "PollClass",
    "Profile",
    "ProfileLibrary",
    "RegisterSpec",
    "WriteFunction",
    "load_profile_file",
    "parse_profile",
    "profile_paths",
]

PROFILE_ROOT = Path(__file__).resolve().parent.parent / "profiles"


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
