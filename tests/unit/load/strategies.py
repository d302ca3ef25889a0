"""Generated load sites for the allocator's properties and the surplus's.

Circuit trees, EVSE states and circuit meter readings (:func:`cases`), with
modes and signed grid power for the surplus (:func:`surplus_cases`), and the
checks' own count of what a circuit carries (:func:`house`, :func:`loads`),
which never trusts what the allocator says it counted.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from edge.load.allocator import (
    Charge,
    Charging,
    EvseState,
    GridSample,
    Last,
    NotStarted,
    Paused,
    learned_phases,
)
from edge.load.site import (
    Circuit,
    EvseLeaf,
    LoadRules,
    Metered,
    Mode,
    Phase,
    Site,
    Static,
)

NOW = 100_000.0
ROTATIONS = [
    (Phase.L1, Phase.L2, Phase.L3),
    (Phase.L2, Phase.L3, Phase.L1),
    (Phase.L3, Phase.L1, Phase.L2),
    (Phase.L1, Phase.L3, Phase.L2),
]
TOL = 1e-6
SETTINGS = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI is never flaky
    suppress_health_check=[HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Case:
    site: Site
    states: dict[str, EvseState]
    grid: dict[str, GridSample]


amps = st.floats(0, 40, allow_nan=False)
limits = st.floats(8, 80, allow_nan=False)


@st.composite
def sites(draw: st.DrawFn, metered: bool | None = None) -> Site:
    """A forest of up to 7 circuits and up to 8 EVSEs on them."""
    n = draw(st.integers(1, 7))
    parents = [None] + [draw(st.sampled_from([None, *range(i)])) for i in range(1, n)]
    m = draw(st.integers(1, 8))
    leaves: dict[int, list[EvseLeaf]] = {}
    for j in range(m):
        wired = draw(st.sampled_from([1, 3]))
        min_a = 6.0
        leaves.setdefault(draw(st.integers(0, n - 1)), []).append(
            EvseLeaf(
                uid=f"e{j}",
                wired_phases=wired,
                rotation=draw(st.sampled_from(ROTATIONS)),
                min_a=min_a,
                max_a=draw(st.sampled_from([6.0, 10.0, 16.0, 32.0])),
                priority=draw(st.integers(1, 3)),
            )
        )
    sources = [draw(st.booleans()) if metered is None else metered for _ in range(n)]
    per_phase = [(draw(limits), draw(limits), draw(limits)) for _ in range(n)]

    def build(i: int) -> Circuit:
        return Circuit(
            id=f"c{i}",
            limit_a=per_phase[i],
            source=Metered() if sources[i] else Static(),
            children=tuple(build(k) for k in range(n) if parents[k] == i),
            evses=tuple(leaves.get(i, [])),
        )

    rules = LoadRules(
        margin_a=draw(st.floats(0, 2)),
        failsafe_current_a=draw(st.sampled_from([0.0, 6.0, 8.0])),
        resume_margin_a=draw(st.floats(0, 2)),
    )
    return Site(tuple(build(i) for i in range(n) if parents[i] is None), rules)


@st.composite
def lasts(draw: st.DrawFn) -> Last:
    since = draw(st.floats(NOW - 2000, NOW))
    return draw(
        st.sampled_from([NotStarted(), Charging(draw(st.floats(6, 32)), since),
                         Paused(since)])
    )  # fmt: skip


@st.composite
def cases(draw: st.DrawFn, fresh: bool = True) -> Case:
    site = draw(sites())
    states = {}
    for leaf in site.leaves():
        drawn = (draw(amps), draw(amps), draw(amps))
        learned = draw(st.booleans())
        states[leaf.uid] = EvseState(
            wants_current=draw(st.booleans()),
            last=draw(lasts()),
            drawn_a=drawn,
            phases=learned_phases(drawn) if learned else frozenset(),
        )
    grid = {}
    for c in site.circuits():
        if isinstance(c.source, Metered):
            currents = tuple(draw(st.floats(0, 1.5 * lim)) for lim in c.limit_a)
            age = draw(st.floats(0, 5.0 if fresh else 60.0))
            grid[c.id] = GridSample((currents[0], currents[1], currents[2]), NOW - age)
    return Case(site, states, grid)


def grid_phases(leaf: EvseLeaf, state: EvseState) -> set[Phase]:
    own = {p for p in state.phases if p < leaf.wired_phases}
    if not own:
        own = set(Phase(p) for p in range(leaf.wired_phases))
    return {leaf.rotation[p] for p in own}


def house(case: Case, circuit: Circuit) -> list[float]:
    if not isinstance(circuit.source, Metered):
        return [0.0, 0.0, 0.0]
    out = list(case.grid[circuit.id].currents_a)
    for leaf in circuit.leaves():
        drawn = case.states[leaf.uid].drawn_a
        for own in range(leaf.wired_phases):
            out[leaf.rotation[own]] -= drawn[own]
    return [max(0.0, a) for a in out]


def loads(case: Case, setpoints: dict[str, float], circuit: Circuit) -> list[float]:
    out = [0.0, 0.0, 0.0]
    for leaf in circuit.leaves():
        if leaf.uid in setpoints:
            for p in grid_phases(leaf, case.states[leaf.uid]):
                out[p] += setpoints[leaf.uid]
    return out


def charging_amps(out_setpoints: object) -> dict[str, float]:
    assert isinstance(out_setpoints, dict)
    return {u: s.current_a for u, s in out_setpoints.items() if isinstance(s, Charge)}


MODES = [Mode.FAST, Mode.SURPLUS, Mode.SURPLUS_PLUS_MIN]


def with_modes(circuit: Circuit, modes: dict[str, Mode]) -> Circuit:
    return replace(
        circuit,
        children=tuple(with_modes(c, modes) for c in circuit.children),
        evses=tuple(replace(e, mode=modes[e.uid]) for e in circuit.evses),
    )


@st.composite
def surplus_cases(draw: st.DrawFn) -> Case:
    """The allocator's generated cases, with modes and signed grid power."""
    case = draw(cases())
    modes = {leaf.uid: draw(st.sampled_from(MODES)) for leaf in case.site.leaves()}
    rules = replace(case.site.rules, surplus_margin_w=draw(st.floats(0, 500)))
    site = Site(tuple(with_modes(r, modes) for r in case.site.roots), rules)
    grid = {
        cid: replace(s, power_w=draw(st.none() | st.floats(-40_000, 40_000)))
        for cid, s in case.grid.items()
    }
    return Case(site, case.states, grid)
