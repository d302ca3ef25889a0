"""Read planning at its edges: the cases mutation testing found untested.

Each test names the behaviour; tests/mutation/run.py showed a changed coalescer
passing every other test.
"""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from drivers.modbus.coalesce import (
    FRAME_OVERHEAD_CHARS,
    ReadBlock,
    Span,
    frame_chars,
    plan_cost,
    plan_reads,
    poll_plan,
)
from drivers.modbus.profile import Function, PollClass, ProfileLibrary

H, COILS = Function.HOLDING, Function.COILS


def test_bits_cost_one_character_per_started_eight():
    assert frame_chars(COILS, 8) == FRAME_OVERHEAD_CHARS + 1
    assert frame_chars(COILS, 9) == FRAME_OVERHEAD_CHARS + 2
    assert frame_chars(H, 3) == FRAME_OVERHEAD_CHARS + 6


def test_plan_cost_counts_characters_and_frames_from_zero():
    a, b = ReadBlock(H, 0, 2), ReadBlock(COILS, 0, 16)
    assert plan_cost([]) == (0, 0)
    assert plan_cost([a]) == (frame_chars(H, 2), 1)
    assert plan_cost([a, b]) == (frame_chars(H, 2) + frame_chars(COILS, 16), 2)


def test_an_unreadable_range_ends_on_its_last_address():
    # (1, 3) is inclusive: a row at 3 touches it, a row at 4 does not
    with pytest.raises(ValueError, match="cannot be read"):
        plan_reads([Span(H, 3, 1)], unreadable=[(1, 3)])
    assert plan_reads([Span(H, 4, 1)], unreadable=[(1, 3)]) == [ReadBlock(H, 4, 1)]
    # and a block from 0 may not reach over it to 4
    assert plan_reads([Span(H, 0, 1), Span(H, 4, 1)], unreadable=[(1, 3)]) == [
        ReadBlock(H, 0, 1),
        ReadBlock(H, 4, 1),
    ]


def test_bit_reads_are_capped_by_the_bit_limit_not_the_register_cap():
    # one frame of 121 coils (16 characters of payload) beats two frames
    rows = [Span(COILS, 0, 1), Span(COILS, 120, 1)]
    assert plan_reads(rows, max_count=100) == [ReadBlock(COILS, 0, 121)]


def sdm630():
    """The SDM630 profile (its slow rows lie in several blocks)."""
    return ProfileLibrary().get("eastron_sdm630")


def test_one_slow_block_per_cycle_by_default_or_as_many_as_asked():
    profile = sdm630()
    by_one = poll_plan(profile)
    assert len(by_one.slow_block_groups) >= 3
    assert all(len(g) == 1 for g in by_one.slow_block_groups)
    by_two = poll_plan(profile, slow_per_cycle=2)
    slow = [b for g in by_one.slow_block_groups for b in g]
    assert [b for g in by_two.slow_block_groups for b in g] == slow
    assert [len(g) for g in by_two.slow_block_groups][:-1] == [2] * (
        len(by_two.slow_block_groups) - 1
    )
    with pytest.raises(ValueError, match=r"^slow_per_cycle must be at least 1$"):
        poll_plan(profile, slow_per_cycle=0)


def test_the_poll_plan_keeps_off_the_profiles_unreadable_ranges():
    profile = sdm630()
    fast = [r for r in profile.registers if r.poll is PollClass.FAST]
    slow = [r for r in profile.registers if r.poll is PollClass.SLOW]
    assert fast
    assert slow
    # the gaps between the rows become unreadable: every row is read on its own
    rows = sorted(profile.registers, key=lambda r: r.address)
    gaps = [
        (a.address + a.count, b.address - 1)
        for a, b in itertools.pairwise(rows)
        if b.address > a.address + a.count
    ]
    assert gaps
    all_fast = tuple(dataclasses.replace(r, poll=PollClass.FAST) for r in rows)
    for registers in (profile.registers, all_fast):
        changed = dataclasses.replace(
            profile, registers=registers, unreadable=tuple(gaps)
        )
        plan = poll_plan(changed)
        blocks = plan.fast_blocks + tuple(b for g in plan.slow_block_groups for b in g)
        for b in blocks:
            assert not any(lo <= b.end - 1 and b.address <= hi for lo, hi in gaps), b
    # without the ranges, the same rows are read in fewer, gap-spanning blocks
    assert len(
        poll_plan(dataclasses.replace(profile, registers=all_fast)).fast_blocks
    ) < len(
        poll_plan(
            dataclasses.replace(profile, registers=all_fast, unreadable=tuple(gaps))
        ).fast_blocks
    )


def test_a_scale_factor_is_read_as_one_register():
    # the exponent right after its row, with nothing readable beyond it
    profile = ProfileLibrary().get("sunspec_203").rebased(1000)
    row = dataclasses.replace(profile.registers[0], poll=PollClass.FAST)
    row = dataclasses.replace(row, sf_address=row.end)
    changed = dataclasses.replace(
        profile, registers=(row,), unreadable=((row.end + 1, row.end + 1),)
    )
    plan = poll_plan(changed)
    assert plan.fast_blocks == (ReadBlock(H, row.address, row.count + 1),)
    assert plan.slow_block_groups == ()
