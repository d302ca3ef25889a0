"""SunSpec discovery: find the "SunS" header and walk the model chain.

A SunSpec device keeps its map in holding registers from a base address, tried
in the order 40000, 0, 50000. The base holds the two registers ``0x5375
0x6E53`` ("SunS"); models follow back to back, each as ``[ID][L][L registers
of body]``, until an ID of 0xFFFF. The meter models are 201 (single phase),
202 (split phase), 203 (wye) and 204 (delta); their point offsets count from
the first body register, which is what :meth:`SunSpecModel.body` returns and
what profiles with ``sunspec_model`` are rebased on.

All functions here are pure apart from the injected ``read`` coroutine.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from drivers.errors import ProfileError
from drivers.modbus.codec import DataType, decode
from drivers.modbus.profile import Function, Profile

ReadFn = Callable[[Function, int, int], Awaitable[list[int] | None]]
"""``await read(function, address, count)``: the words, or None (no answer)."""

SUNS = (0x5375, 0x6E53)
BASE_ADDRESSES = (40000, 0, 50000)
END_ID = 0xFFFF
COMMON_MODEL = 1
METER_MODELS = frozenset({201, 202, 203, 204})
MAX_MODELS = 64
COMMON_LENGTH = 66
"""Model 1's body: Mn 16, Md 16, Opt 8, Vr 8, SN 16, DA 1, Pad 1 (65 before Pad)."""
MODEL_LENGTHS: Mapping[int, int] = {
    COMMON_MODEL: COMMON_LENGTH,
    **{m: 105 for m in METER_MODELS},
    **{m: 124 for m in (211, 212, 213, 214)},
}
"""Fixed body lengths of the models we read or serve (sunspec/models json):
201-204 are 52 int16/sunssf and 26 acc32 points plus Evt (bitfield32) = 105;
the float meters 211-214 are 61 float32 points plus Evt = 124."""


@dataclass(frozen=True)
class SunSpecModel:
    """One model in the chain: its id, the address of its ID register, its length."""

    id: int
    address: int
    length: int

    @property
    def body(self) -> int:
        """Address of the first point (offset 0) of the model."""
        return self.address + 2

    @property
    def is_meter(self) -> bool:
        """Whether this is one of the integer meter models 201 to 204."""
        return self.id in METER_MODELS


@dataclass(frozen=True)
class CommonModel:
    """Model 1: who made the device and which one it is."""

    manufacturer: str
    model: str
    serial_number: str


async def find_base(read: ReadFn) -> int | None:
    """The base address holding "SunS", or None when the device has none."""
    for base in BASE_ADDRESSES:
        words = await read(Function.HOLDING, base, 2)
        if words is not None and tuple(words) == SUNS:
            return base
    return None


async def walk_models(read: ReadFn, base: int) -> list[SunSpecModel]:
    """Every model after the header at ``base``, up to the end marker.

    A chain that stops answering, runs past the address space or is longer than
    :data:`MAX_MODELS` ends the walk with the models found so far.
    """
    models: list[SunSpecModel] = []
    address = base + 2
    while len(models) < MAX_MODELS and address + 2 <= 0x10000:
        words = await read(Function.HOLDING, address, 2)
        if words is None or len(words) != 2 or words[0] == END_ID:
            break
        model_id, length = words
        models.append(SunSpecModel(model_id, address, length))
        address += 2 + length
    return models


async def discover(read: ReadFn) -> list[SunSpecModel]:
    """The device's model chain; empty when it does not speak SunSpec."""
    base = await find_base(read)
    return [] if base is None else await walk_models(read, base)


async def read_common(read: ReadFn, model: SunSpecModel) -> CommonModel | None:
    """Manufacturer, model and serial number from a common model (id 1)."""
    if model.id != COMMON_MODEL or model.length < 64:
        return None
    words = await read(Function.HOLDING, model.body, 64)
    if words is None or len(words) != 64:
        return None

    def text(offset: int, count: int) -> str:
        return str(decode(words[offset : offset + count], DataType.STR))

    return CommonModel(text(0, 16), text(16, 16), text(48, 16))


def body_span(profile: Profile) -> int:
    """Registers of a model's body that ``profile``'s rows (and scale factors) use.

    Only meaningful for a profile that is not rebased yet (offsets from 0).
    """
    span = 0
    for row in profile.registers:
        span = max(span, row.end)
        if row.sf_address is not None:
            span = max(span, row.sf_address + 1)
    return span


def fits(model: SunSpecModel, profile: Profile) -> bool:
    """Whether ``model`` is the profile's model and long enough for its rows."""
    return model.id == profile.sunspec_model and model.length >= body_span(profile)


async def locate(read: ReadFn, profile: Profile) -> Profile:
    """``profile`` rebased on the device's first model of its id.

    For a composition root that is given a SunSpec model in its site file: the
    device behind ``read`` is walked once and the profile's offsets are made
    absolute. :class:`ProfileError` if the device does not announce the model.
    """
    if profile.sunspec_model is None or not profile.relative:
        return profile
    for model in await discover(read):
        if fits(model, profile):
            return profile.rebased(model.body)
    raise ProfileError(
        f"{profile.id}: the device announces no SunSpec model {profile.sunspec_model}"
    )
