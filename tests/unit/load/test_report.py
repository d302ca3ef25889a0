"""What edge sim's live table shows of load management."""

from __future__ import annotations

from edge.load.allocator import (
    Charge,
    Charging,
    EvseState,
    GridSample,
    Pause,
    Why,
    allocate,
)
from edge.load.report import circuit_rows, setpoint_text
from edge.load.site import Circuit, EvseLeaf, LoadRules, Metered, Phase, Site

ROT = (Phase.L1, Phase.L2, Phase.L3)


def test_setpoints_read_as_amps_and_why() -> None:
    assert setpoint_text(Charge(9.5, Why.SHARE)) == "9.5 A share"
    assert setpoint_text(Pause(Why.NO_HEADROOM)) == "pause no_headroom"
    assert setpoint_text(None) == "-"


def test_each_circuit_shows_house_plus_setpoints_against_its_limit() -> None:
    leaves = (EvseLeaf("A", 1, ROT, 6.0, 16.0, 1),)
    site = Site(
        (Circuit("main", (25.0, 25.0, 20.0), Metered(), evses=leaves),), LoadRules()
    )
    state = {"A": EvseState(True, Charging(6.0, 0.0), (6.0, 0.0, 0.0))}
    alloc = allocate(site, state, {"main": GridSample((10.0, 3.0, 2.0), 99.0)}, 100.0)
    [row] = circuit_rows(site, alloc)
    # house 4 + 16 A (its maximum) on L1; only house on L2 and L3
    assert row.phases == ("20.0/25", "3.0/25", "2.0/20")
    assert not row.failsafe
    [silent] = circuit_rows(site, allocate(site, state, {}, 100.0))
    assert silent.failsafe
    [none] = circuit_rows(site, None)
    assert none.phases == ("-/25", "-/25", "-/20")
