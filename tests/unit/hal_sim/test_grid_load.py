"""The simulated house load and solar: seeded, shaped by the hour, bounded."""

from __future__ import annotations

from hal_sim.grid_load import HouseLoad, Solar, grid_current_a


def test_the_same_seed_and_second_give_the_same_load() -> None:
    a, b = HouseLoad(3), HouseLoad(3)
    times = [i * 37.0 for i in range(3000)]
    assert [a.current_a(t) for t in times] == [b.current_a(t) for t in times]
    other = HouseLoad(4)
    assert [a.current_a(t) for t in times] != [other.current_a(t) for t in times]


def test_house_load_stays_within_its_parts_and_peaks_in_the_evening() -> None:
    house = HouseLoad(1, base_a=4.0, peak_a=12.0, appliance_a=10.0)
    night = [house.current_a(3 * 3600.0 + 60 * i) for i in range(60)]
    evening = [house.current_a(18.5 * 3600.0 + 60 * i) for i in range(60)]
    for reading in night + evening:
        assert all(4.0 <= a <= 4.0 + 12.0 + 10.0 for a in reading)
    assert min(min(r) for r in evening) > max(max(r) for r in night) - 10.0
    assert sum(sum(r) for r in evening) > sum(sum(r) for r in night) + 60 * 3 * 5.0
    # Appliances come and go: the phases differ at some minutes.
    assert any(len(set(r)) > 1 for r in night)


def test_solar_is_zero_at_night_and_at_most_its_peak_by_day() -> None:
    solar = Solar(2, peak_a=10.0)
    assert solar.current_a(2 * 3600.0) == (0.0, 0.0, 0.0)
    assert solar.current_a(21 * 3600.0) == (0.0, 0.0, 0.0)
    noon = [solar.current_a(13 * 3600.0 + 300 * i)[0] for i in range(12)]
    assert all(2.5 <= a <= 10.0 for a in noon)
    assert len(set(noon)) > 1  # clouds


def test_the_grid_meter_reads_the_magnitude() -> None:
    assert grid_current_a((5.0, 5.0, 5.0), (16.0, 0.0, 0.0), (8.0, 8.0, 8.0)) == (
        13.0,
        3.0,
        3.0,
    )
