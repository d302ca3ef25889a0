"""What ``edge doctor`` reports: findings, each a subject, a state, what to do."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


class State(StrEnum):
    """How a finding reads."""

    OK = "ok"
    WARN = "warn"
    FIX = "fix"
    SKIP = "skip"


@dataclass(frozen=True)
class Finding:
    """One line of the report."""

    check: str
    subject: str
    state: State
    detail: str
    fix: str = ""


def read(path: Path) -> str | None:
    """A sysfs or procfs file's text, None if it cannot be read."""
    try:
        return path.read_text().strip()
    except OSError:
        return None


def mb(n: int) -> str:
    """``n`` bytes in MiB, for people."""
    return f"{n / (1 << 20):.0f} MiB"
