"""hal_sim's grid: EVs on the grid phases of their wiring, a breaker that cuts."""

from __future__ import annotations

from drivers.modbus.profile import ProfileLibrary
from edge.config.circuits import LoadSection
from edge.config.schema import SimGridSection
from edge.model.measurement import Measurement as M
from hal_sim.grid import SimGrid
from hal_sim.grid_fuse import Tripped

NO_HOUSE = SimGridSection(house_base_a=0.0, house_peak_a=0.0, appliance_a=0.0)


def tree() -> LoadSection:
    return LoadSection.model_validate({
        "circuit": [
            {
                "id": "main",
                "limit_a": [40.0, 40.0, 40.0],
                "meter": {"bus": "gw", "unit": 100, "model": "eastron_sdm630"},
            },
            {"id": "carport", "parent": "main", "limit_a": [20.0, 20.0, 20.0]},
        ],
        "evse": [
            {"uid": "E1", "circuit": "carport", "rotation": "L2L3L1"},
            {"uid": "E2", "circuit": "main"},
        ],
    })  # fmt: skip


def test_a_one_phase_car_loads_the_grid_phase_its_evse_l1_is_wired_to() -> None:
    grid = SimGrid(tree(), NO_HOUSE, ProfileLibrary())
    grid.step(1.0, 0.0, 0.0, {"E1": (10.0, 0.0, 0.0), "E2": (5.0, 5.0, 5.0)})
    main, carport = grid.circuits["main"], grid.circuits["carport"]
    assert carport.current_a == (0.0, 10.0, 0.0)
    assert main.current_a == (5.0, 15.0, 5.0)
    assert main.meter is not None
    values = main.meter.values()
    assert (values[M.CURRENT_L1], values[M.CURRENT_L2]) == (5.0, 15.0)


def test_the_house_load_adds_on_the_grid_connection_only() -> None:
    settings = SimGridSection(house_base_a=3.0, house_peak_a=0.0, appliance_a=0.0)
    grid = SimGrid(tree(), settings, ProfileLibrary())
    grid.extra_house_a = (1.0, 0.0, 0.0)
    grid.step(1.0, 0.0, 0.0, {"E1": (10.0, 0.0, 0.0)})
    assert grid.circuits["main"].current_a == (4.0, 13.0, 3.0)
    assert grid.circuits["carport"].current_a == (0.0, 10.0, 0.0)


def test_an_overloaded_breaker_trips_and_cuts_everything_below_it() -> None:
    grid = SimGrid(tree(), NO_HOUSE, ProfileLibrary())
    # 30 A on a 20 A sub-circuit (1.5 In): a thermal trip within minutes
    t = 0.0
    while grid.trips == 0 and t < 3600:
        grid.step(1.0, t, t, {"E1": (30.0, 30.0, 30.0)})
        t += 1.0
    assert grid.trips == 1
    assert 200 < t < 400, t  # IEC 60898-1: within 1 h; our tau: ~270 s at 1.5 In
    carport = grid.circuits["carport"]
    assert isinstance(carport.state, Tripped)
    assert not grid.powered("E1")
    assert grid.powered("E2")  # the main breaker held
    grid.step(1.0, t, t, {"E1": (30.0, 30.0, 30.0), "E2": (6.0, 6.0, 6.0)})
    assert carport.current_a == (0.0, 0.0, 0.0)
    assert grid.circuits["main"].current_a == (6.0, 6.0, 6.0)
    assert grid.seconds_over_limit > 200
    grid.reset()
    assert grid.powered("E1")
