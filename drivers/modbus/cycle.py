"""Poll cycles planned in wire time, the device's turnaround included.

:func:`drivers.modbus.coalesce.poll_plan` decides *what* is read when: fast rows
every cycle, slow rows in rotation. This module decides the frames of each
cycle, pricing a frame as the bus really pays for it: request and response
characters, the two 3.5-character silences and the device's turnaround. With
a 30 ms turnaround a new frame costs as much as ~30 more registers in an
existing one, so frames merge across wider gaps than a character count alone
would allow, and the slow rows of a cycle are planned together with its fast
rows (a slow block that covers a fast row saves that row its own frame).

The dynamic programme is the one of :mod:`drivers.modbus.coalesce` (exact for
any frame cost that grows with the span; see its docstring) with this cost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from drivers.modbus.coalesce import ReadBlock, Span, Spanned, plan_reads, poll_plan
from drivers.modbus.profile import Function, PollClass, Profile
from drivers.modbus.wire import LineTiming, read_transaction_s

NOMINAL_TCP_LINE = LineTiming(115200)
"""Priced frames on TCP: the bytes hardly matter there, the round trip does."""


@dataclass(frozen=True)
class FrameCost:
    """The price of one read frame on a line, for a device of this turnaround."""

    timing: LineTiming
    turnaround_s: float

    def __call__(self, function: Function, count: int) -> int:
        """Nanoseconds one read of ``count`` registers (or bits) occupies the bus."""
        seconds = read_transaction_s(self.timing, function, count, self.turnaround_s)
        return round(seconds * 1e9)


def plan_frames(
    spans: Sequence[Spanned],
    cost: FrameCost,
    cap: int = 125,
    unreadable: Sequence[tuple[int, int]] = (),
) -> list[ReadBlock]:
    """The frames of least total bus time that read every span whole."""
    return plan_reads(spans, cap, unreadable, cost_of=cost)


def row_spans(profile: Profile, poll: PollClass | None = None) -> list[Spanned]:
    """Every row of ``profile`` (of one poll class), with its scale factor."""
    spans: list[Spanned] = []
    for row in profile.registers:
        if poll is not None and row.poll is not poll:
            continue
        spans.append(row)
        if row.sf_address is not None:
            spans.append(Span(row.function, row.sf_address, 1))
    return spans


def cycle_plans(
    profile: Profile, cost: FrameCost, slow_per_cycle: int = 1
) -> tuple[tuple[ReadBlock, ...], ...]:
    """The frames of each cycle of the rotation (fast rows plus one slow group).

    The rotation is :func:`poll_plan`'s: slow rows its fast blocks cover come
    every cycle, the other slow rows in its groups, one group per cycle.
    """
    plan = poll_plan(profile, slow_per_cycle)
    cap, unreadable = profile.max_registers_per_request, profile.unreadable
    fast = row_spans(profile, PollClass.FAST)
    slow = row_spans(profile, PollClass.SLOW)
    always = [s for s in slow if any(b.covers(s) for b in plan.fast_blocks)]
    groups = _rotation(plan.slow_block_groups)
    cycles = []
    for group in groups:
        rows = fast + always + [s for s in slow if any(b.covers(s) for b in group)]
        cycles.append(tuple(plan_frames(rows, cost, cap, unreadable)))
    return tuple(cycles)


MIN_ROTATION = 5
"""Slow rows that need frames of their own come at most every 5th cycle."""


def _rotation(
    groups: tuple[tuple[ReadBlock, ...], ...],
) -> tuple[tuple[ReadBlock, ...], ...]:
    """The slow groups, one per cycle, then fast-only cycles up to MIN_ROTATION.

    So one lone slow register does not cost a frame every cycle. The first
    cycle reads the first group: a device's first poll after start-up has it.
    """
    if not groups:
        return ((),)
    return groups + ((),) * max(0, MIN_ROTATION - len(groups))


def per_value_plans(profile: Profile) -> tuple[tuple[ReadBlock, ...], ...]:
    """The same rotation read one frame per row, as template-based peers do."""
    plan = poll_plan(profile)
    fast = [r for r in profile.registers if r.poll is PollClass.FAST]
    slow = [r for r in profile.registers if r.poll is PollClass.SLOW]
    always = [r for r in slow if any(b.covers(r) for b in plan.fast_blocks)]
    groups = _rotation(plan.slow_block_groups)
    cycles = []
    for group in groups:
        rows = fast + always + [r for r in slow if any(b.covers(r) for b in group)]
        blocks = (ReadBlock(r.function, r.address, r.count) for r in rows)
        cycles.append(tuple(dict.fromkeys(blocks)))
    return tuple(cycles)
