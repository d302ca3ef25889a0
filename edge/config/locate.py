"""Find the line of a key path in TOML text, so errors can point at it.

tomllib keeps no positions, so this scans the text: table headers ``[a.b]``,
array-of-tables headers ``[[a]]`` (counted per parent element) and ``key =``
lines. Keys inside inline tables resolve to the line of their nearest ancestor.
"""

from __future__ import annotations

import re

_ARRAY = re.compile(r"^\s*\[\[\s*([^\]]+?)\s*\]\]")
_TABLE = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")
_KEY = re.compile(r"""^\s*([A-Za-z0-9_\-]+|"[^"]*")\s*=""")


def _parts(dotted: str) -> list[str]:
    return [p.strip().strip('"') for p in dotted.split(".")]


def key_lines(text: str) -> dict[str, int]:
    """Map every key path (``evse[1].meter.unit``) to its 1-based line."""
    lines: dict[str, int] = {}
    counts: dict[str, int] = {}
    arrays: set[str] = set()
    prefix = ""

    def resolve(parts: list[str], last_is_new_element: bool) -> str:
        path = ""
        for i, part in enumerate(parts):
            path = f"{path}.{part}" if path else part
            if path in arrays or (last_is_new_element and i == len(parts) - 1):
                if last_is_new_element and i == len(parts) - 1:
                    arrays.add(path)
                    counts[path] = counts.get(path, -1) + 1
                path = f"{path}[{counts[path]}]"
        return path

    for lineno, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        if m := _ARRAY.match(line):
            # Array elements count per parent path: strip indices to count.
            prefix = resolve(_parts(m.group(1)), last_is_new_element=True)
            lines.setdefault(prefix, lineno)
        elif m := _TABLE.match(line):
            prefix = resolve(_parts(m.group(1)), last_is_new_element=False)
            lines.setdefault(prefix, lineno)
        elif m := _KEY.match(line):
            key = m.group(1).strip('"')
            lines.setdefault(f"{prefix}.{key}" if prefix else key, lineno)
    return lines


def line_of(lines: dict[str, int], path: str) -> int | None:
    """The line of ``path`` or of its nearest ancestor that has one."""
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None
