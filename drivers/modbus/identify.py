"""Recognise which profile(s) fit the device answering on one unit id.

The logic behind ``edge scan``, free of IO: it is given ``read(function,
address, count)``, a coroutine returning the words or None (no answer or a
Modbus exception), and the candidate profiles. A profile matches when every one
of its identity rows answers with the value it expects; a SunSpec profile
matches each model of its id found by walking the SunSpec chain (and long
enough for the profile's points), rebased on that model's address. Profiles
without identity rows are never guessed.

Matches come best first: SunSpec models (the device announced them), then by
how many identity rows checked a value rather than merely answering.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from drivers.modbus.codec import CodecError, decode
from drivers.modbus.profile import IdentitySpec, Profile
from drivers.modbus.sunspec import ReadFn, SunSpecModel, discover, fits

ReadUnitFn = Callable[[int], ReadFn]
"""Given another unit id, the read coroutine for it (Alfen's unit 200)."""

SUNSPEC_SCORE = 100


@dataclass(frozen=True)
class Match:
    """A profile that fits, ready to poll (SunSpec profiles already rebased)."""

    profile: Profile
    score: int
    """Higher is more certain: value checks passed, SunSpec announcements."""


class _CachedReader:
    """Reads each (unit, function, address, count) at most once per scan."""

    def __init__(self, read: ReadFn, read_unit: ReadUnitFn | None) -> None:
        self._read = read
        self._read_unit = read_unit
        self._cache: dict[tuple[int | None, int, int, int], list[int] | None] = {}

    def can_reach(self, unit: int | None) -> bool:
        return unit is None or self._read_unit is not None

    async def __call__(self, spec: IdentitySpec) -> list[int] | None:
        key = (spec.unit_id, int(spec.function), spec.address, spec.count)
        if key not in self._cache:
            read = self._read
            if spec.unit_id is not None and self._read_unit is not None:
                read = self._read_unit(spec.unit_id)
            self._cache[key] = await read(spec.function, spec.address, spec.count)
        return self._cache[key]


def identity_matches(spec: IdentitySpec, words: list[int] | None) -> bool:
    """Whether the words read for ``spec`` are what the model answers."""
    if words is None or len(words) != spec.count:
        return False
    try:
        value = decode(words, spec.type, spec.word_order)
    except CodecError:
        return False
    if spec.any:
        return True
    if spec.equals is not None:
        return value == spec.equals
    if spec.one_of:
        return value in spec.one_of
    return (
        isinstance(value, str)
        and spec.prefix is not None
        and (value.startswith(spec.prefix))
    )


async def identify(
    read: ReadFn,
    profiles: Iterable[Profile],
    *,
    read_unit: ReadUnitFn | None = None,
) -> list[Match]:
    """Every profile that fits the device behind ``read``, best first.

    Identity rows naming another ``unit_id`` are read through ``read_unit``;
    without it such profiles cannot be confirmed and are left out.
    """
    reader = _CachedReader(read, read_unit)
    models: list[SunSpecModel] | None = None
    matches: list[Match] = []
    for profile in profiles:
        if profile.sunspec_model is not None:
            if models is None:
                models = await discover(read)
            matches += [
                Match(profile.rebased(m.body), SUNSPEC_SCORE)
                for m in models
                if fits(m, profile)
            ]
            continue
        rows = profile.identity
        if not rows or not all(reader.can_reach(r.unit_id) for r in rows):
            continue
        for row in rows:
            if not identity_matches(row, await reader(row)):
                break
        else:
            matches.append(Match(profile, sum(r.specific for r in rows)))
    return sorted(matches, key=lambda m: (-m.score, m.profile.id))
