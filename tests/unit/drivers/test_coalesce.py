"""Read planning: optimal against brute force, caps, unreadable ranges, poll plan."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.modbus.coalesce import (
    FRAME_OVERHEAD_CHARS,
    PollPlan,
    ReadBlock,
    Span,
    frame_chars,
    plan_cost,
    plan_reads,
    poll_plan,
)
from drivers.modbus.profile import Function, PollClass, ProfileLibrary
from edge.model.measurement import Measurement

H = Function.HOLDING


def partitions(items):
    """Every set partition of ``items`` (Bell number many)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for part in partitions(rest):
        for i in range(len(part)):
            yield [*part[:i], [first, *part[i]], *part[i + 1 :]]
        yield [[first], *part]


def brute_force(rows, cap, unreadable):
    """Least (chars, frames) over all groupings of rows into blocks."""
    best = None
    for part in partitions(rows):
        blocks = []
        for group in part:
            start = min(r.address for r in group)
            end = max(r.address + r.count for r in group)
            crosses = any(lo < end and start <= hi for lo, hi in unreadable)
            if end - start > cap or crosses:
                break
            blocks.append(ReadBlock(H, start, end - start))
        else:
            cost = plan_cost(blocks)
            best = cost if best is None or cost < best else best
    return best


@st.composite
def layouts(draw):
    """Disjoint rows with gaps, unreadable ranges only inside gaps, and a cap."""
    rows, unreadable, address = [], [], draw(st.integers(0, 5))
    for _ in range(draw(st.integers(1, 7))):
        count = draw(st.sampled_from([1, 2, 2, 4]))
        rows.append(Span(H, address, count))
        address += count
        gap = draw(st.integers(0, 14))
        if gap >= 1 and draw(st.booleans()) and draw(st.booleans()):
            lo = address + draw(st.integers(0, gap - 1))
            unreadable.append((lo, draw(st.integers(lo, address + gap - 1))))
        address += gap
    cap = draw(st.integers(max(r.count for r in rows), 40))
    return draw(st.permutations(rows)), cap, unreadable


@settings(max_examples=300, deadline=None)
@given(layouts())
def test_plan_is_optimal_against_brute_force(layout):
    rows, cap, unreadable = layout
    blocks = plan_reads(rows, cap, unreadable)
    for row in rows:
        assert any(b.covers(row) for b in blocks)
    for b in blocks:
        assert b.count <= cap
        assert not any(lo < b.end and b.address <= hi for lo, hi in unreadable)
    assert plan_cost(blocks) == brute_force(rows, cap, unreadable)


def test_a_gap_is_read_when_cheaper_than_a_new_frame():
    rows = [Span(H, 0, 2), Span(H, 10, 2)]  # gap of 8 registers = 16 chars < 20
    assert plan_reads(rows) == [ReadBlock(H, 0, 12)]
    far = [Span(H, 0, 2), Span(H, 12, 2)]  # gap of 10 registers = 20 chars: tie
    assert plan_reads(far) == [ReadBlock(H, 0, 14)]  # tie on chars: fewer frames
    farther = [Span(H, 0, 2), Span(H, 13, 2)]
    assert plan_reads(farther) == [ReadBlock(H, 0, 2), ReadBlock(H, 13, 2)]


def test_greedy_merging_is_beaten_by_the_optimum():
    # With a cap of 6, greedy left-to-right merging reads [0,6) then 8 alone and
    # 10 alone (3 frames); the optimum reads 0..1 and 4..11 in two frames.
    rows = [Span(H, 0, 2), Span(H, 4, 2), Span(H, 8, 2), Span(H, 10, 2)]
    blocks = plan_reads(rows, max_count=8)
    assert plan_cost(blocks) == brute_force(rows, 8, [])
    assert len(blocks) == 2


def test_never_reads_across_an_unreadable_range():
    rows = [Span(H, 0, 2), Span(H, 4, 2)]
    assert plan_reads(rows, unreadable=[(3, 3)]) == [
        ReadBlock(H, 0, 2),
        ReadBlock(H, 4, 2),
    ]


def test_functions_are_planned_apart_and_bits_cost_bytes():
    rows = [Span(Function.COILS, 0, 1), Span(Function.COILS, 7, 1), Span(H, 0, 1)]
    blocks = plan_reads(rows)
    assert blocks == [ReadBlock(Function.COILS, 0, 8), ReadBlock(H, 0, 1)]
    assert frame_chars(Function.COILS, 16) == FRAME_OVERHEAD_CHARS + 2
    assert frame_chars(H, 16) == FRAME_OVERHEAD_CHARS + 32


def test_an_unreadable_row_or_an_oversized_row_is_an_error():
    with pytest.raises(ValueError, match="one request"):
        plan_reads([Span(H, 0, 4)], max_count=2)
    with pytest.raises(ValueError, match="one request"):
        plan_reads([Span(H, 0, 2)], unreadable=[(1, 1)])


def test_overlapping_spans_are_read_once():
    assert plan_reads([Span(H, 0, 4), Span(H, 2, 4), Span(H, 2, 4)]) == [
        ReadBlock(H, 0, 6)
    ]


def test_sdm630_poll_plan_reads_control_values_every_cycle():
    profile = ProfileLibrary().get("eastron_sdm630")
    plan = poll_plan(profile)
    fast = [r for r in profile.registers if r.poll is PollClass.FAST]
    for row in fast:
        assert any(b.covers(row) for b in plan.fast_blocks)
    slow_blocks = [b for group in plan.slow_block_groups for b in group]
    for row in profile.registers:
        assert any(b.covers(row) for b in plan.fast_blocks + tuple(slow_blocks))
    inp = Function.INPUT
    assert plan.fast_blocks == (
        ReadBlock(inp, 6, 6),  # currents
        ReadBlock(inp, 52, 2),  # total power
        ReadBlock(inp, 72, 2),  # energy import
    )


def test_slow_rows_inside_a_fast_block_are_not_read_again():
    profile = ProfileLibrary().get("eastron_sdm630")
    power_l3 = profile.register(Measurement.POWER_L3)
    assert power_l3 is not None
    fast_l3 = dataclasses.replace(power_l3, poll=PollClass.FAST)
    rows = tuple(fast_l3 if r is power_l3 else r for r in profile.registers)
    plan = poll_plan(dataclasses.replace(profile, registers=rows))
    assert ReadBlock(Function.INPUT, 6, 12) in plan.fast_blocks
    slow_blocks = [b for group in plan.slow_block_groups for b in group]
    for m in (Measurement.POWER_L1, Measurement.POWER_L2):
        spec = profile.register(m)
        assert spec is not None
        assert not any(b.covers(spec) for b in slow_blocks)


def test_poll_cycles_rotate_through_the_slow_groups():
    a, b, c = ReadBlock(H, 0, 1), ReadBlock(H, 10, 1), ReadBlock(H, 20, 1)
    plan = PollPlan((a,), ((b,), (c,)))
    assert [plan.cycle(n) for n in range(3)] == [(a, b), (a, c), (a, b)]
    assert PollPlan((a,), ()).cycle(5) == (a,)


def test_sunspec_plan_brings_the_scale_factors():
    library = ProfileLibrary()
    with pytest.raises(ValueError, match="rebase"):
        poll_plan(library.get("sunspec_203"))
    profile = library.get("sunspec_203").rebased(1000)
    plan = poll_plan(profile, slow_per_cycle=2)
    blocks = plan.fast_blocks + tuple(x for g in plan.slow_block_groups for x in g)
    for row in profile.registers:
        assert row.sf_address is not None
        assert any(b.covers(Span(H, row.sf_address, 1)) for b in blocks)
    assert all(len(g) <= 2 for g in plan.slow_block_groups)
    with pytest.raises(ValueError, match="slow_per_cycle"):
        poll_plan(profile, slow_per_cycle=0)
