"""Plan the fewest, cheapest read frames that cover a set of register rows.

Rows of one function code are sorted by address and merged across a gap when
reading the gap costs fewer characters on the wire than starting a new frame,
never beyond the per-request cap and never across a range the profile marks
unreadable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from drivers.modbus.profile import Function, RegisterSpec

# A new RTU read frame costs: request 8 bytes + response header/CRC 5 bytes, plus
# two 3.5-character silences (7 characters). Each extra register costs 2 bytes.
FRAME_OVERHEAD_CHARS = 8 + 5 + 7
CHARS_PER_REGISTER = 2


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


def _crosses(a: int, b: int, unreadable: Sequence[tuple[int, int]]) -> bool:
    """Whether the address span [a, b) touches an unreadable range (inclusive)."""
    return any(lo < b and a <= hi for lo, hi in unreadable)


def plan_reads(
    rows: Sequence[RegisterSpec],
    max_count: int = 125,
    unreadable: Sequence[tuple[int, int]] = (),
) -> list[ReadBlock]:
    """Cover ``rows`` with read blocks, greedily merging cheap gaps."""
    blocks: list[ReadBlock] = []
    by_fn: dict[Function, list[RegisterSpec]] = {}
    for row in rows:
        by_fn.setdefault(row.function, []).append(row)
    for fn in sorted(by_fn):
        cap = max_count if fn in (Function.HOLDING, Function.INPUT) else 2000
        start = end = -1
        for row in sorted(by_fn[fn], key=lambda r: r.address):
            if start < 0:
                start, end = row.address, row.end
                continue
            gap = max(0, row.address - end)
            new_end = max(end, row.end)
            merge = (
                gap * CHARS_PER_REGISTER < FRAME_OVERHEAD_CHARS
                and new_end - start <= cap
                and not _crosses(end, row.address, unreadable)
            )
            if merge:
                end = new_end
            else:
                blocks.append(ReadBlock(fn, start, end - start))
                start, end = row.address, row.end
        if start >= 0:
            blocks.append(ReadBlock(fn, start, end - start))
    return blocks
