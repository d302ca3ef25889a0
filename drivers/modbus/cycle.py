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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from drivers.modbus.coalesce import ReadBlock, Span, Spanned, poll_plan
from drivers.modbus.profile import MAX_READ_BITS, Function, PollClass, Profile
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


def _crosses(a: int, b: int, unreadable: Sequence[tuple[int, int]]) -> bool:
    return any(lo < b and a <= hi for lo, hi in unreadable)


def _atoms(spans: Iterable[Spanned]) -> list[tuple[int, int]]:
    atoms: list[tuple[int, int]] = []
    for start, end in sorted({(s.address, s.address + s.count) for s in spans}):
        if atoms and start < atoms[-1][1]:
            atoms[-1] = (atoms[-1][0], max(atoms[-1][1], end))
        else:
            atoms.append((start, end))
    return atoms


def _plan_one(
    function: Function,
    atoms: list[tuple[int, int]],
    cost: FrameCost,
    cap: int,
    unreadable: Sequence[tuple[int, int]],
) -> list[ReadBlock]:
    best: list[tuple[int, int]] = [(0, 0)]
    back: list[int] = [0]
    for j in range(1, len(atoms) + 1):
        end = atoms[j - 1][1]
        choice: tuple[tuple[int, int], int] | None = None
        for i in range(j - 1, -1, -1):
            start = atoms[i][0]
            if end - start > cap or _crosses(start, end, unreadable):
                break
            price, frames = best[i]
            total = (price + cost(function, end - start), frames + 1)
            if choice is None or total < choice[0]:
                choice = (total, i)
        if choice is None:
            raise ValueError(f"function {function}: [{atoms[j - 1]}] is unreadable")
        best.append(choice[0])
        back.append(choice[1])
    blocks: list[ReadBlock] = []
    j = len(atoms)
    while j > 0:
        i = back[j]
        blocks.append(ReadBlock(function, atoms[i][0], atoms[j - 1][1] - atoms[i][0]))
        j = i
    return blocks[::-1]


def plan_frames(
    spans: Sequence[Spanned],
    cost: FrameCost,
    cap: int = 125,
    unreadable: Sequence[tuple[int, int]] = (),
) -> list[ReadBlock]:
    """The frames of least total bus time that read every span whole."""
    by_fn: dict[Function, list[Spanned]] = {}
    for span in spans:
        by_fn.setdefault(span.function, []).append(span)
    blocks: list[ReadBlock] = []
    for fn in sorted(by_fn):
        limit = MAX_READ_BITS if fn.is_bits else cap
        blocks += _plan_one(fn, _atoms(by_fn[fn]), cost, limit, unreadable)
    return blocks


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
    groups = plan.slow_block_groups or ((),)
    cycles = []
    for group in groups:
        rows = fast + always + [s for s in slow if any(b.covers(s) for b in group)]
        cycles.append(tuple(plan_frames(rows, cost, cap, unreadable)))
    return tuple(cycles)


def per_value_plans(profile: Profile) -> tuple[tuple[ReadBlock, ...], ...]:
    """The same rotation read one frame per row, as template-based peers do."""
    plan = poll_plan(profile)
    fast = [r for r in profile.registers if r.poll is PollClass.FAST]
    slow = [r for r in profile.registers if r.poll is PollClass.SLOW]
    always = [r for r in slow if any(b.covers(r) for b in plan.fast_blocks)]
    groups = plan.slow_block_groups or ((),)
    cycles = []
    for group in groups:
        rows = fast + always + [r for r in slow if any(b.covers(r) for b in group)]
        blocks = (ReadBlock(r.function, r.address, r.count) for r in rows)
        cycles.append(tuple(dict.fromkeys(blocks)))
    return tuple(cycles)
