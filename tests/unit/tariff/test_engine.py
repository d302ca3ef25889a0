"""Engine rules beyond the spec examples: FLAT, VAT, bounds, steps, errors, output."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import pytest

import edge.ocpi as m
from edge.tariff import TariffError, compute_cost
from tests.unit.ocpi_models import examples as ex
from tests.unit.tariff import spec_tariffs as st
from tests.unit.tariff.builders import Session, at, el, pc, tariff


def _cost(t: m.Tariff, session: Session, expired: bool | None = None) -> m.Price:
    cost = compute_cost(
        t,
        session.periods,
        end=session.stop,
        time_zone="UTC",
        reservation_expired=expired,
    )
    return cost.total_cost


def _day(clock: str = "10:00") -> Session:
    return Session(at(f"2024-01-15 {clock}"))


def test_flat_is_billed_once_across_periods_and_elements() -> None:
    t = tariff(
        el(pc("FLAT", 1.00), end_time="17:00"),
        el(pc("FLAT", 2.00), start_time="17:00"),
        el(pc("ENERGY", 0)),
    )
    session = _day("16:00").charge(60, 5).charge(60, 5).park(30)
    assert _cost(t, session).excl_vat == Decimal("1.00")


def test_flat_that_becomes_active_later_is_billed_once() -> None:
    overstay_fee = tariff(el(pc("FLAT", 5.00), min_duration=7200), el(pc("TIME", 1.00)))
    short = _day().charge(60, 5)
    long = _day().charge(60, 5).park(90).park(30)
    assert _cost(overstay_fee, short).excl_vat == Decimal("1.00")
    assert _cost(overstay_fee, long).excl_vat == Decimal("6.00")


def test_dimension_without_matching_element_is_free() -> None:
    t = tariff(el(pc("ENERGY", 0.30), day_of_week=["SUNDAY"]))
    assert _cost(t, _day().charge(60, 20)).excl_vat == 0


def test_absent_vat_means_no_vat_and_zero_vat_is_zero() -> None:
    t = tariff(el(pc("FLAT", 1.00, 20), pc("ENERGY", 0.25), pc("TIME", 1.00, 0)))
    cost = _cost(t, _day().charge(60, 20))
    assert cost.excl_vat == Decimal("7.00")
    assert cost.incl_vat == Decimal("7.20")


def test_min_price_without_incl_vat_bounds_incl_at_excl() -> None:
    t = tariff(el(pc("ENERGY", 0.25, 10)), min_price={"excl_vat": 2.00})
    cost = _cost(t, _day().charge(10, 1))
    assert (cost.excl_vat, cost.incl_vat) == (Decimal("2.00"), Decimal("2.00"))


def test_max_price_clamps_excl_and_incl_independently() -> None:
    t = tariff(
        el(pc("ENERGY", 0.25, 50)), max_price={"excl_vat": 10.00, "incl_vat": 12.00}
    )
    cost = _cost(t, _day().charge(60, 45))  # 11.25 / 16.875
    assert (cost.excl_vat, cost.incl_vat) == (Decimal("10.00"), Decimal("12.00"))
    cost = _cost(t, _day().charge(60, 34))  # 8.50 / 12.75: only incl is capped
    assert (cost.excl_vat, cost.incl_vat) == (Decimal("8.50"), Decimal("12.00"))


def test_parts_are_not_moved_by_min_price() -> None:
    result = compute_cost(
        st.T12,
        _day().charge(10, "1.2").periods,
        end=at("2024-01-15 10:10"),
        time_zone="UTC",
    )
    assert result.total_cost.excl_vat == Decimal("0.50")
    assert result.total_energy_cost.excl_vat == Decimal("0.30")
    assert result.unclamped_total.excl_vat == Decimal("0.30")


def test_step_size_zero_means_no_rounding() -> None:
    t = tariff(el(pc("TIME", 6.00, None, 0)))
    assert _cost(t, _day().charge("0.5", 1)).excl_vat == Decimal("0.05")


def test_four_decimal_hours_do_not_round_up_a_whole_step() -> None:
    t = tariff(el(pc("TIME", 6.00, None, 60)))
    session = _day().add(
        at("2024-01-15 10:10") - at("2024-01-15 10:00"),
        {"TIME": Decimal("0.1667"), "ENERGY": 1},
    )
    assert Decimal("0.1667") * 3600 > 600
    assert _cost(t, session).excl_vat == Decimal("1.00")


def test_energy_step_rounds_up_whole_wh() -> None:
    t = tariff(el(pc("ENERGY", 1.00, None, 1)))
    assert _cost(t, _day().charge(10, "0.1001")).excl_vat == Decimal("0.1010")


def test_exported_energy_is_not_billed() -> None:
    t = tariff(el(pc("ENERGY", 0.30)))
    session = _day().charge(30, 10).charge(30, -4)
    cost = compute_cost(t, session.periods, end=session.stop, time_zone="UTC")
    assert cost.total_energy_cost.excl_vat == Decimal("3.00")
    assert cost.total_energy == Decimal(6)


def test_period_without_time_dimensions_uses_wall_clock() -> None:
    t = tariff(el(pc("TIME", 2.00), pc("PARKING_TIME", 4.00)))
    session = _day().add(at("2024-01-15 10:30") - at("2024-01-15 10:00"), {"ENERGY": 5})
    session.add(at("2024-01-15 10:45") - at("2024-01-15 10:30"), {"ENERGY": 0})
    cost = compute_cost(t, session.periods, end=session.stop, time_zone="UTC")
    assert cost.total_time == Decimal("0.75")
    assert cost.total_parking_time == Decimal("0.25")
    assert cost.total_cost.excl_vat == Decimal("2.00")


def test_cancelled_reservation_is_not_expired_when_told() -> None:
    session = _day().reserve(60)
    expired = _cost(st.T17, session)
    cancelled = _cost(st.T17, session, expired=False)
    assert expired.excl_vat == Decimal("6.00")
    assert cancelled.excl_vat == Decimal("2.00")


def test_totals_and_cdr_fields() -> None:
    session = _day().reserve(13).charge(60, 20).park(20)
    cost = compute_cost(st.T16, session.periods, end=session.stop, time_zone="UTC")
    fields = cost.cdr_fields()
    assert fields["total_energy"] == Decimal(20)
    assert fields["total_time"] == Decimal("1.3333")
    assert fields["total_parking_time"] == Decimal("0.3333")
    assert fields["total_reservation_cost"] == m.Price(
        excl_vat=Decimal("3.25"), incl_vat=Decimal("3.9")
    )
    no_reservation = compute_cost(
        st.T9,
        _day().charge(60, 20).periods,
        end=at("2024-01-15 11:00"),
        time_zone="UTC",
    )
    assert "total_reservation_cost" not in no_reservation.cdr_fields()


def test_cost_fields_make_a_valid_cdr() -> None:
    data = ex.load(ex.CDR)
    period = m.ChargingPeriod.model_validate(data["charging_periods"][0])
    tc = m.Tariff.model_validate(data["tariffs"][0])
    cost = compute_cost(
        tc, [period], end=at("2015-06-29 23:37:32"), time_zone="Europe/Brussels"
    )
    for name in ("total_cost", "total_energy", "total_time", "total_time_cost"):
        del data[name]
    cdr = m.CDR.model_validate(data | cost.cdr_fields())
    assert cdr.model_dump_ocpi()["total_cost"] == {"excl_vat": 4, "incl_vat": 4.4}


def test_decimals_are_configurable() -> None:
    session = _day().charge(150, 25)
    result = compute_cost(
        st.T2, session.periods, end=session.stop, time_zone="UTC", decimals=2
    )
    assert result.total_cost.incl_vat == Decimal("5.00")


@pytest.mark.parametrize(
    ("build", "field", "reason"),
    [
        (list, "charging_periods", "at least one"),
        (
            lambda: _day().charge(10, 1).periods + _day("09:00").charge(10, 1).periods,
            "charging_periods[0].start_date_time",
            "next period",
        ),
        (
            lambda: _day().charge(10, 1).reserve(10).periods,
            "charging_periods[1]",
            "reservation",
        ),
    ],
)
def test_bad_periods_are_refused_with_field(
    build: Callable[[], list[m.ChargingPeriod]], field: str, reason: str
) -> None:
    with pytest.raises(TariffError) as info:
        compute_cost(st.T8, build(), end=at("2024-01-15 12:00"), time_zone="UTC")
    assert info.value.field == field
    assert reason in info.value.reason


def test_end_before_last_period_is_refused() -> None:
    session = _day().charge(10, 1)
    with pytest.raises(TariffError, match="session end"):
        compute_cost(
            st.T8, session.periods, end=at("2024-01-15 09:00"), time_zone="UTC"
        )


def test_duplicate_and_negative_dimensions_are_refused() -> None:
    twice = m.ChargingPeriod.model_validate(
        {
            "start_date_time": "2024-01-15T10:00:00Z",
            "dimensions": [
                {"type": "ENERGY", "volume": 1},
                {"type": "ENERGY", "volume": 2},
            ],
        }
    )
    end = at("2024-01-15 11:00")
    with pytest.raises(TariffError, match="twice"):
        compute_cost(st.T8, [twice], end=end, time_zone="UTC")
    negative = _day().add(end - at("2024-01-15 10:00"), {"TIME": -1})
    with pytest.raises(TariffError, match="negative"):
        compute_cost(st.T8, negative.periods, end=end, time_zone="UTC")


def test_tariff_must_be_valid_at_session_start() -> None:
    session = _day().charge(60, 30)  # 2024, after T6's end_date_time
    with pytest.raises(TariffError, match="no longer valid"):
        compute_cost(st.T6, session.periods, end=session.stop, time_zone="UTC")
    future = tariff(el(pc("ENERGY", 0.25)), start_date_time="2030-01-01T00:00:00Z")
    with pytest.raises(TariffError, match="becomes valid"):
        compute_cost(future, session.periods, end=session.stop, time_zone="UTC")


def test_bad_time_zone_and_naive_end_are_refused() -> None:
    session = _day().charge(60, 30)
    with pytest.raises(TariffError, match="IANA"):
        compute_cost(st.T8, session.periods, end=session.stop, time_zone="Mars/Olympus")
    naive = datetime(2024, 1, 15, 11)  # noqa: DTZ001
    with pytest.raises(TariffError, match="naive"):
        compute_cost(st.T8, session.periods, end=naive, time_zone="UTC")
