"""The tariffs of the OCPI 2.2.1 tariffs chapter (ocpi-2.2.1-tariff-examples.md §4)."""

from __future__ import annotations

from tests.unit.tariff.builders import el, pc, tariff

T1 = tariff(el(pc("TIME", 2.00, 10, 60)))
T2 = tariff(el(pc("TIME", 1.90, 5.2, 300)), type="AD_HOC_PAYMENT")
T3 = tariff(el(pc("FLAT", 0.50, 20), pc("ENERGY", 0.25, 10, 100)), type="PROFILE_CHEAP")
T3_AT_022 = tariff(el(pc("FLAT", 0.50, 20), pc("ENERGY", 0.22, 10, 100)))
WEEKDAYS = ["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"]
T4 = tariff(
    el(pc("FLAT", 2.50, 15)),
    el(pc("TIME", 1.00, 20, 900), max_current=32),
    el(pc("TIME", 2.00, 20, 600), min_current=32, day_of_week=WEEKDAYS),
    el(pc("TIME", 1.25, 20, 600), min_current=32, day_of_week=["SATURDAY", "SUNDAY"]),
    el(
        pc("PARKING_TIME", 5.00, 10, 300),
        start_time="09:00",
        end_time="18:00",
        day_of_week=WEEKDAYS,
    ),
    el(
        pc("PARKING_TIME", 6.00, 10, 300),
        start_time="10:00",
        end_time="17:00",
        day_of_week=["SATURDAY"],
    ),
    type="REGULAR",
)
T5 = tariff(el(pc("FLAT", 0.00, None, 0)))
T6 = tariff(
    el(pc("FLAT", 0.50, 20), pc("ENERGY", 0.25, 10)),
    max_price={"excl_vat": 10.00, "incl_vat": 11.00},
    end_date_time="2019-06-30T23:59:59Z",
)
T8 = tariff(el(pc("ENERGY", 0.25, 10)))
T9 = tariff(el(pc("FLAT", 0.50, 20), pc("ENERGY", 0.25, 10)))
T10 = tariff(
    el(pc("FLAT", 0.50, 20), pc("ENERGY", 0.25, 10), pc("PARKING_TIME", 2.00, 20, 900))
)
T12 = tariff(el(pc("ENERGY", 0.25, 10)), min_price={"excl_vat": 0.50, "incl_vat": 0.55})
T13 = tariff(el(pc("TIME", 3.00, 10, 60), pc("PARKING_TIME", 5.00, 20, 300)))
T14 = tariff(
    el(
        pc("TIME", 1.20, None, 1800),
        pc("PARKING_TIME", 1.00, None, 900),
        start_time="00:00",
        end_time="17:00",
    ),
    el(
        pc("TIME", 2.40, None, 900),
        pc("PARKING_TIME", 1.00, None, 900),
        start_time="17:00",
        end_time="20:00",
    ),
    el(pc("TIME", 2.40, None, 900), start_time="20:00", end_time="00:00"),
)
T15 = tariff(
    el(pc("TIME", 5.00, 20, 60), reservation="RESERVATION"),
    el(pc("FLAT", 0.50, 20), pc("ENERGY", 0.25, 10)),
)
T16 = tariff(
    el(pc("FLAT", 2.00, 20), pc("TIME", 5.00, 20, 300), reservation="RESERVATION"),
    el(pc("FLAT", 0.50, 20), pc("ENERGY", 0.25, 10)),
)
T17 = tariff(
    el(pc("FLAT", 4.00, 20), reservation="RESERVATION_EXPIRES"),
    el(pc("TIME", 2.00, 20, 600), reservation="RESERVATION"),
    el(pc("FLAT", 0.50, 20), pc("ENERGY", 0.25, 10)),
)
T18 = tariff(
    el(pc("TIME", 6.00, 20, 600), reservation="RESERVATION_EXPIRES"),
    el(pc("TIME", 3.00, 20, 600), reservation="RESERVATION"),
    el(pc("FLAT", 0.50, 20), pc("ENERGY", 0.25, 10)),
)
TP = tariff(
    el(pc("ENERGY", 0.20, 20), max_power=16),
    el(pc("ENERGY", 0.35, 20), max_power=32),
    el(pc("ENERGY", 0.50, 20)),
    type="REGULAR",
)
TD = tariff(
    el(pc("ENERGY", 0.00, 20), max_duration=1800),
    el(pc("ENERGY", 0.25, 20), max_duration=3600),
    el(pc("ENERGY", 0.40, 20)),
    type="REGULAR",
)
TC = tariff(el(pc("TIME", 2.00, 10, 300)), id="12", country_code="BE", party_id="BEC")
