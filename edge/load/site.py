"""The site's electrical tree as the allocator sees it, built from ``[load]``.

Currents are in A per grid phase. A :class:`Circuit` holds its sub-circuits and
its EVSEs, so a tree cannot have a cycle; :func:`site_from_config` builds it from
a site file that :func:`edge.config.circuits.load_problems` has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

from edge.config.circuits import LoadSection
from edge.config.schema import EvseSection


class Phase(IntEnum):
    """A phase; the value indexes a :data:`PerPhase` triple."""

    L1 = 0
    L2 = 1
    L3 = 2


PerPhase = tuple[float, float, float]
"""Currents (A) on L1, L2 and L3."""
ALL_PHASES = frozenset(Phase)
BOARD_STEP_A = 1.0
"""A board's setpoint is whole amps (drivers/evse_board.py writes no tenths)."""


class Mode(StrEnum):
    """How an EVSE charges (``mode`` in ``[load]``); every fuse limit holds in each."""

    FAST = "fast"
    """As fast as the circuits allow."""
    SURPLUS = "surplus"
    """From the grid connection's export only; paused below the minimum."""
    SURPLUS_PLUS_MIN = "surplus_plus_min"
    """At least the minimum, more from the export."""


@dataclass(frozen=True)
class Static:
    """No meter: the circuit's limit is for our EVSEs alone."""


@dataclass(frozen=True)
class Metered:
    """A meter measures the circuit: its reading minus our EVSEs is house load."""


LimitSource = Static | Metered


@dataclass(frozen=True)
class EvseLeaf:
    """An EVSE at the end of a circuit."""

    uid: str
    wired_phases: int
    """1 or 3: the phases the EVSE is wired with (its own L1, or L1 to L3)."""
    rotation: tuple[Phase, Phase, Phase]
    """The grid phase of the EVSE's own L1, L2 and L3."""
    min_a: float
    max_a: float
    priority: int
    """Weight in the share above the minimum (1-10)."""
    mode: Mode = Mode.FAST
    step_a: float = 0.1
    """The setpoint's resolution (A): what the EVSE can be told."""

    def grid_phases(self, drawn: frozenset[Phase]) -> frozenset[Phase]:
        """The grid phases a car drawing on the EVSE's own ``drawn`` phases loads.

        Phases not yet learned (``drawn`` empty, or only on phases the EVSE is
        not wired with) count as every wired phase.
        """
        wired = frozenset(Phase(p) for p in range(self.wired_phases))
        own = drawn & wired or wired
        return frozenset(self.rotation[p] for p in own)


@dataclass(frozen=True)
class Circuit:
    """The grid connection or a sub-distribution."""

    id: str
    limit_a: PerPhase
    source: LimitSource
    children: tuple[Circuit, ...] = ()
    evses: tuple[EvseLeaf, ...] = ()

    def walk(self) -> list[Circuit]:
        """This circuit and every one below it, parents first."""
        out = [self]
        for child in self.children:
            out += child.walk()
        return out

    def leaves(self) -> list[EvseLeaf]:
        """Every EVSE fed through this circuit."""
        out = list(self.evses)
        for child in self.children:
            out += child.leaves()
        return out


@dataclass(frozen=True)
class LoadRules:
    """The rules shared by every circuit (``[load]``)."""

    margin_a: float = 1.0
    failsafe_current_a: float = 0.0
    meter_timeout_s: float = 5.0
    resume_delay_s: float = 600.0
    resume_margin_a: float = 1.0
    surplus_margin_w: float = 100.0
    """Left exported at the grid connection by the cars charging from surplus."""


@dataclass(frozen=True)
class Site:
    """Every grid connection of the site and the rules."""

    roots: tuple[Circuit, ...]
    rules: LoadRules

    def circuits(self) -> list[Circuit]:
        """Every circuit, parents first."""
        return [c for root in self.roots for c in root.walk()]

    def leaves(self) -> list[EvseLeaf]:
        """Every EVSE."""
        return [leaf for root in self.roots for leaf in root.leaves()]


def site_from_config(load: LoadSection, evses: list[EvseSection]) -> Site:
    """The tree of a checked ``[load]`` section (its EVSEs from ``[[evse]]``)."""
    wiring = {e.uid: e for e in evses}
    leaves: dict[str, list[EvseLeaf]] = {}
    for leaf in load.evse:
        evse = wiring[leaf.uid]
        rotation = tuple(Phase[leaf.rotation[k : k + 2]] for k in (0, 2, 4))
        leaves.setdefault(leaf.circuit, []).append(
            EvseLeaf(
                uid=leaf.uid,
                wired_phases=evse.phases,
                rotation=(rotation[0], rotation[1], rotation[2]),
                min_a=leaf.min_current_a,
                max_a=float(evse.max_current_a),
                priority=leaf.priority,
                mode=Mode(leaf.mode or load.mode),
                step_a=BOARD_STEP_A,
            )
        )
    children: dict[str | None, list[str]] = {}
    for section in load.circuit:
        children.setdefault(section.parent, []).append(section.id)
    by_id = {c.id: c for c in load.circuit}

    def build(cid: str) -> Circuit:
        section = by_id[cid]
        return Circuit(
            id=cid,
            limit_a=section.limits(),
            source=Static() if section.meter is None else Metered(),
            children=tuple(build(c) for c in children.get(cid, [])),
            evses=tuple(leaves.get(cid, [])),
        )

    rules = LoadRules(
        margin_a=load.margin_a,
        failsafe_current_a=load.failsafe_current_a,
        meter_timeout_s=load.meter_timeout_s,
        resume_delay_s=load.resume_delay_s,
        resume_margin_a=load.resume_margin_a,
        surplus_margin_w=load.surplus_margin_w,
    )
    return Site(roots=tuple(build(c) for c in children.get(None, [])), rules=rules)
