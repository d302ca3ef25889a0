"""Per-cycle frame plans priced in wire time: exact, and merging when it pays."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.modbus.coalesce import ReadBlock, Span, poll_plan
from drivers.modbus.cycle import (
    MIN_ROTATION,
    FrameCost,
    cycle_plans,
    per_value_plans,
    plan_frames,
)
from drivers.modbus.profile import Function, ProfileLibrary
from drivers.modbus.wire import LineTiming

LIB = ProfileLibrary()
LINE = LineTiming(9600, "N", 2)


def price(blocks, cost):
    return sum(cost(b.function, b.count) for b in blocks), len(blocks)


def brute_force(spans, cost, cap, unreadable):
    """Every split of the sorted atoms into runs; the cheapest valid one."""
    atoms = sorted({(s.address, s.address + s.count) for s in spans})
    merged = []
    for a, b in atoms:
        if merged and a < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    best = None
    n = len(merged)
    for cuts in itertools.product([False, True], repeat=max(0, n - 1)):
        blocks, start = [], 0
        for i in range(n):
            if i == n - 1 or cuts[i]:
                lo, hi = merged[start][0], merged[i][1]
                if hi - lo > cap or any(x < hi and lo <= y for x, y in unreadable):
                    blocks = None
                    break
                blocks.append(ReadBlock(Function.HOLDING, lo, hi - lo))
                start = i + 1
        if blocks is not None:
            p = price(blocks, cost)
            if best is None or p < best:
                best = p
    return best


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(
        st.tuples(st.integers(0, 160), st.sampled_from([1, 2, 4])),
        min_size=1,
        max_size=8,
    ),
    turnaround_ms=st.sampled_from([0, 5, 30, 200]),
    cap=st.sampled_from([10, 40, 125]),
    hole=st.booleans(),
)
def test_plan_is_as_cheap_as_brute_force(rows, turnaround_ms, cap, hole):
    spans = [Span(Function.HOLDING, a, n) for a, n in rows]
    unreadable = [(61, 63)] if hole else []
    spans = [
        s
        for s in spans
        if not any(x < s.address + s.count and s.address <= y for x, y in unreadable)
    ]
    if not spans:
        return
    cost = FrameCost(LINE, turnaround_ms / 1000)
    blocks = plan_frames(spans, cost, cap, unreadable)
    for s in spans:
        assert any(b.covers(s) for b in blocks)
    for b in blocks:
        assert b.count <= cap
        assert not any(x < b.end and b.address <= y for x, y in unreadable)
    assert price(blocks, cost) == brute_force(spans, cost, cap, unreadable)


def test_turnaround_makes_frames_merge_across_wider_gaps():
    spans = [Span(Function.INPUT, 52, 2), Span(Function.INPUT, 72, 2)]
    assert len(plan_frames(spans, FrameCost(LINE, 0.0))) == 2
    assert plan_frames(spans, FrameCost(LINE, 0.030)) == [
        ReadBlock(Function.INPUT, 52, 22)
    ]


def test_every_cycle_reads_the_fast_rows_and_the_rotation_covers_the_rest():
    profile = LIB.get("eastron_sdm630")
    cost = FrameCost(LINE, profile.turnaround_ms / 1000)
    cycles = cycle_plans(profile, cost)
    assert len(cycles) == max(len(poll_plan(profile).slow_block_groups), MIN_ROTATION)
    fast = [r for r in profile.registers if r.poll.value == "fast"]
    for blocks in cycles:
        for row in fast:
            assert any(b.covers(row) for b in blocks), row.measurement
    for row in profile.registers:
        assert any(b.covers(row) for blocks in cycles for b in blocks)
    # planned together, a cycle never costs more than poll_plan's blocks
    plan = poll_plan(profile)
    for n, blocks in enumerate(cycles):
        assert price(blocks, cost) <= price(plan.cycle(n), cost)


def test_per_value_plans_read_each_row_alone():
    profile = LIB.get("evse_wb")
    cycles = per_value_plans(profile)
    read = {b for cycle in cycles for b in cycle}
    assert len(read) == len({(r.address, r.count) for r in profile.registers})
    assert all(b.count == 1 for b in read)


def test_a_lone_slow_register_comes_first_then_every_fifth_cycle():
    # EVSE-WB's enable bit (2005) is slow and far from the fast block: it must
    # not cost a frame every cycle, but the first poll after start-up reads it.
    profile = LIB.get("evse_wb")
    cycles = cycle_plans(profile, FrameCost(LINE, profile.turnaround_ms / 1000))
    with_2005 = [n for n, c in enumerate(cycles) if any(b.address == 2005 for b in c)]
    assert (len(cycles), with_2005) == (MIN_ROTATION, [0])
    assert all(any(b.address == 1000 for b in c) for c in cycles)  # fast every cycle
