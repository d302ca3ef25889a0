"""What load management shows: each circuit's load against its limit, each setpoint.

Plain text for the live table of ``edge sim`` and for logs; pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from edge.load.allocator import Allocation
from edge.load.setpoints import Charge, Setpoint
from edge.load.site import Site


@dataclass(frozen=True)
class CircuitRow:
    """One circuit: per phase ``load/limit`` (A), and whether its meter is silent."""

    id: str
    phases: tuple[str, str, str]
    failsafe: bool


def setpoint_text(setpoint: Setpoint | None) -> str:
    """``16.0 A share``, ``pause no_headroom``, or ``-`` (no allocation yet)."""
    if setpoint is None:
        return "-"
    if isinstance(setpoint, Charge):
        return f"{setpoint.current_a:.1f} A {setpoint.why.value}"
    return f"pause {setpoint.why.value}"


def circuit_rows(site: Site, allocation: Allocation | None) -> list[CircuitRow]:
    """Every circuit, parents first: house load plus setpoints against the limit."""
    rows = []
    for circuit in site.circuits():
        load = allocation.load_a.get(circuit.id) if allocation is not None else None
        cells = tuple(
            f"{'-' if load is None else f'{load[p]:.1f}'}/{circuit.limit_a[p]:g}"
            for p in range(3)
        )
        silent = allocation is not None and circuit.id in allocation.failsafe
        rows.append(CircuitRow(circuit.id, (cells[0], cells[1], cells[2]), silent))
    return rows
