"""Plan the cheapest read frames that cover a set of register rows.

The cost of a plan is the characters it puts on the wire: every frame costs
:data:`FRAME_OVERHEAD_CHARS` (request, response header and CRC, and the two
3.5-character silences) plus 2 characters per register read (1 per 8 bits for
coils and discrete inputs). :func:`plan_reads` returns a plan of least cost,
and of those the one with the fewest frames, subject to a per-request cap, to
the profile's unreadable ranges (never read) and to reading every row whole.

Why a dynamic programme over sorted rows is exact: take any valid plan, give
each row to one block that contains it and shrink every block to the span of
its rows. Shrinking never costs more, nor crosses anything new. If two blocks'
rows interleave, the outer block already contains the inner row, so the row
can move to it. Hence some optimal plan reads runs of consecutive rows, one
block per run, from the first row's start to the last row's end; the
programme tries every such split. :func:`poll_plan` splits a profile's rows
into the blocks read every cycle and the slow blocks read in rotation.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from drivers.modbus.profile import (
    MAX_READ_BITS,
    MAX_READ_REGISTERS,
    Function,
    PollClass,
    Profile,
)

# A new RTU read frame costs: request 8 bytes + response header/CRC 5 bytes, plus
# two 3.5-character silences (7 characters). Each extra register costs 2 bytes.
FRAME_OVERHEAD_CHARS = 8 + 5 + 7
CHARS_PER_REGISTER = 2


class Spanned(Protocol):
    """Anything that occupies a run of addresses under one function code."""

    @property
    def function(self) -> Function:
        """The read function code."""

    @property
    def address(self) -> int:
        """The first address."""

    @property
    def count(self) -> int:
        """How many registers (or bits)."""


@dataclass(frozen=True)
class ReadBlock:
    """One read request: function, start address and count."""

    function: Function
    address: int
    count: int

    @property
    def end(self) -> int:
        """One past the last address read."""
        return self.address + self.count

    def covers(self, span: Spanned) -> bool:
        """Whether this block reads all of ``span``."""
        return (
            span.function == self.function
            and self.address <= span.address
            and span.address + span.count <= self.end
        )


@dataclass(frozen=True)
class Span:
    """A run of addresses that must be read whole (a row, a scale factor)."""

    function: Function
    address: int
    count: int


def frame_chars(function: Function, count: int) -> int:
    """Characters one read frame of ``count`` registers (or bits) costs."""
    payload = math.ceil(count / 8) if function.is_bits else CHARS_PER_REGISTER * count
    return FRAME_OVERHEAD_CHARS + payload


def plan_cost(blocks: Iterable[ReadBlock]) -> tuple[int, int]:
    """(characters on the wire, frames) of a plan: the order plans are ranked by."""
    chars = frames = 0
    for block in blocks:
        chars += frame_chars(block.function, block.count)
        frames += 1
    return chars, frames


def _crosses(a: int, b: int, unreadable: Sequence[tuple[int, int]]) -> bool:
    """Whether the address span [a, b) touches an unreadable range (inclusive)."""
    return any(lo < b and a <= hi for lo, hi in unreadable)


def _atoms(spans: Iterable[Spanned]) -> list[tuple[int, int]]:
    """Sorted, disjoint [start, end) runs; overlapping spans are read together."""
    atoms: list[tuple[int, int]] = []
    for start, end in sorted({(s.address, s.address + s.count) for s in spans}):
        if atoms and start < atoms[-1][1]:
            atoms[-1] = (atoms[-1][0], max(atoms[-1][1], end))
        else:
            atoms.append((start, end))
    return atoms


FrameCostFn = Callable[[Function, int], int]
"""Prices one read frame of ``count`` registers (or bits); default frame_chars."""


def _plan_one(
    function: Function,
    atoms: list[tuple[int, int]],
    cap: int,
    unreadable: Sequence[tuple[int, int]],
    cost_of: FrameCostFn = frame_chars,
) -> list[ReadBlock]:
    for start, end in atoms:
        if end - start > cap or _crosses(start, end, unreadable):
            raise ValueError(
                f"function {function} [{start}, {end}) cannot be read in one request"
            )
    # best[j]: least (chars, frames) covering atoms[:j]; back[j]: start of last run.
    best: list[tuple[int, int]] = [(0, 0)]
    back: list[int] = [0]
    for j in range(1, len(atoms) + 1):
        end = atoms[j - 1][1]
        choice: tuple[tuple[int, int], int] | None = None
        for i in range(j - 1, -1, -1):
            start = atoms[i][0]
            if end - start > cap or _crosses(start, end, unreadable):
                break  # a longer block only gets worse
            chars, frames = best[i]
            cost = (chars + cost_of(function, end - start), frames + 1)
            if choice is None or cost < choice[0]:
                choice = (cost, i)
        if choice is None:  # pragma: no cover - the one-atom block always fits
            raise ValueError(f"function {function}: no valid block ends at {end}")
        best.append(choice[0])
        back.append(choice[1])
    blocks: list[ReadBlock] = []
    j = len(atoms)
    while j > 0:
        i = back[j]
        start, end = atoms[i][0], atoms[j - 1][1]
        blocks.append(ReadBlock(function, start, end - start))
        j = i
    return blocks[::-1]


def plan_reads(
    rows: Sequence[Spanned],
    max_count: int = MAX_READ_REGISTERS,
    unreadable: Sequence[tuple[int, int]] = (),
    cost_of: FrameCostFn = frame_chars,
) -> list[ReadBlock]:
    """Cover ``rows`` with the cheapest read blocks (see the module docstring).

    ``max_count`` caps register reads (coils and discrete inputs are capped at
    2000 bits); ``unreadable`` lists inclusive address ranges never to read;
    ``cost_of`` prices a frame (wire characters by default; the bus scheduler
    prices in wire time, see :mod:`drivers.modbus.cycle`).
    Blocks come sorted by function code, then address. Raises ``ValueError``
    when a row cannot be read in one request at all.
    """
    by_fn: dict[Function, list[Spanned]] = {}
    for row in rows:
        by_fn.setdefault(row.function, []).append(row)
    blocks: list[ReadBlock] = []
    for fn in sorted(by_fn):
        cap = MAX_READ_BITS if fn.is_bits else max_count
        blocks += _plan_one(fn, _atoms(by_fn[fn]), cap, unreadable, cost_of)
    return blocks


@dataclass(frozen=True)
class PollPlan:
    """What to read each cycle: the fast blocks, plus one slow group in turn."""

    fast_blocks: tuple[ReadBlock, ...]
    slow_block_groups: tuple[tuple[ReadBlock, ...], ...]

    def cycle(self, n: int) -> tuple[ReadBlock, ...]:
        """The blocks of poll cycle ``n`` (0, 1, 2, ...)."""
        if not self.slow_block_groups:
            return self.fast_blocks
        group = self.slow_block_groups[n % len(self.slow_block_groups)]
        return self.fast_blocks + group


def _with_scale_factors(rows: Iterable[Spanned]) -> list[Spanned]:
    spans: list[Spanned] = []
    for row in rows:
        spans.append(row)
        sf = getattr(row, "sf_address", None)
        if sf is not None:
            spans.append(Span(row.function, sf, 1))
    return spans


def poll_plan(profile: Profile, slow_per_cycle: int = 1) -> PollPlan:
    """Split ``profile``'s rows into fast blocks and a rotation of slow blocks.

    Rows polled ``fast`` (what control needs: power, energy, CP state) are read
    every cycle. ``slow`` rows already inside a fast block come for free; the
    rest are planned on their own and read ``slow_per_cycle`` blocks per cycle.
    Rows with a scale factor bring its register into the same plan.
    """
    if profile.relative:
        raise ValueError(f"{profile.id}: rebase the profile on its discovered base")
    if slow_per_cycle < 1:
        raise ValueError("slow_per_cycle must be at least 1")
    cap, unreadable = profile.max_registers_per_request, profile.unreadable
    fast = [r for r in profile.registers if r.poll is PollClass.FAST]
    fast_blocks = tuple(plan_reads(_with_scale_factors(fast), cap, unreadable))
    slow = [
        s
        for s in _with_scale_factors(
            r for r in profile.registers if r.poll is PollClass.SLOW
        )
        if not any(b.covers(s) for b in fast_blocks)
    ]
    slow_blocks = plan_reads(slow, cap, unreadable)
    groups = tuple(
        tuple(slow_blocks[i : i + slow_per_cycle])
        for i in range(0, len(slow_blocks), slow_per_cycle)
    )
    return PollPlan(fast_blocks, groups)
