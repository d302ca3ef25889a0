"""Domain to OCPI mapping: pure functions checked against the strict models."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from edge.config.loader import parse_config
from edge.config.ocpp import OcppConnector
from edge.model.period import ClosedPeriod, PeriodKind
from edge.model.session import Session, SessionStatus
from edge.ocpi import CDR, Location, Tariff
from edge.ocpi import Session as OcpiSession
from edge.ocpi.party import Party
from edge.uplink.ocpi.push import mapping as m
from edge.uplink.ocpi.push import mapping_cdr as mc

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SITE = """
[site]
name = "Depot"
country_code = "NL"
party_id = "EXA"
location_id = "LOC1"
address = "A very long street name that goes on and on, 1234"
city = "Utrecht"
latitude = 52.0894
longitude = 5.1101
[[bus]]
id = "gw"
transport = "tcp"
host = "127.0.0.1"
port = 1502
[[evse]]
uid = "E1"
evse_id = "NL*EXA*E1"
max_current_a = 32
phases = 1
meter = { bus = "gw", unit = 1, model = "eastron_sdm630" }
board = { bus = "gw", unit = 2, model = "evse_wb" }
"""
TARIFF = Tariff.model_validate(
    {
        "country_code": "NL",
        "party_id": "EXA",
        "id": "T1",
        "currency": "EUR",
        "elements": [
            {
                "price_components": [
                    {"type": "ENERGY", "price": 0.30, "vat": 20.0, "step_size": 1},
                    {"type": "PARKING_TIME", "price": 2.00, "step_size": 60},
                ]
            }
        ],
        "last_updated": "2026-01-01T00:00:00Z",
    }
)


def ctx(tariff: Tariff | None = None) -> m.SiteContext:
    config = parse_config(SITE)
    return m.SiteContext(
        Party("NL", "EXA"),
        config.site,
        {"E1": config.evse[0]},
        "EUR",
        "Depot BV",
        tariff=tariff,
    )


def session(
    *,
    end: datetime | None = T0 + timedelta(hours=2),
    token: str | None = "AA11",  # noqa: S107
    start_wh: int = 1000,
    stop_wh: int = 13_500,
) -> Session:
    return Session(
        id="S1",
        evse_uid="E1",
        token_uid=token,
        token_type="RFID" if token else None,
        contract_id=None,
        auth_method="WHITELIST",
        auth_reason="local list",
        status=SessionStatus.COMPLETED if end else SessionStatus.ACTIVE,
        start=T0,
        end=end,
        meter_start_wh=start_wh,
        meter_last_wh=stop_wh,
        meter_stop_wh=stop_wh if end else None,
        stop_reason=None,
        last_updated=end or T0 + timedelta(minutes=30),
    )


def auth(s: Session, reference: str | None = None) -> m.SessionAuth:
    return m.SessionAuth(m.cdr_token(ctx(), s, None), reference)


def test_location_from_the_site_file_with_statuses() -> None:
    row = m.EvseStatusRow("CHARGING", T0 + timedelta(minutes=5))
    loc = m.location(ctx(TARIFF), {"E1": row}, T0)
    wire = Location.model_validate(loc.model_dump_ocpi())  # survives the strict model
    evse = wire.evses[0]
    assert (evse.status.value, evse.last_updated) == ("CHARGING", row.updated)
    assert wire.last_updated == row.updated  # bumped by its EVSE
    conn = evse.connectors[0]
    assert (conn.power_type.value, conn.max_amperage, conn.max_electric_power) == (
        "AC_1_PHASE",
        32,
        230 * 32,
    )
    assert conn.tariff_ids == ["T1"]
    assert (wire.coordinates.latitude, wire.coordinates.longitude) == (
        "52.089400",
        "5.110100",
    )
    assert m.location(ctx(), {}, T0).evses[0].status.value == "UNKNOWN"


def test_static_digest_changes_with_the_site_file_only() -> None:
    assert m.static_digest(ctx()) == m.static_digest(ctx())
    assert m.static_digest(ctx()) != m.static_digest(ctx(TARIFF))


def test_session_put_and_patch_bodies() -> None:
    s = session(end=None)
    token = m.cdr_token(ctx(), s, m.TokenRef("DE", "MSP", "DE-MSP-C1"))
    put = OcpiSession.model_validate(
        m.session(ctx(), s, m.SessionAuth(token)).model_dump_ocpi()
    )
    assert (put.kwh, put.status.value, put.location_id, put.evse_uid) == (
        Decimal("12.5"),
        "ACTIVE",
        "LOC1",
        "E1",
    )
    assert (put.cdr_token.party_id, put.cdr_token.contract_id) == ("MSP", "DE-MSP-C1")
    assert put.authorization_reference is None
    assert (
        "authorization_reference" not in m.session(ctx(), s, auth(s)).model_dump_ocpi()
    )
    patch = m.session_patch(session())
    assert patch == {
        "kwh": 12.5,
        "status": "COMPLETED",
        "last_updated": "2026-03-02T10:00:00Z",
        "end_date_time": "2026-03-02T10:00:00Z",
    }


def test_free_vend_session_token_is_na_with_our_party() -> None:
    token = m.cdr_token(ctx(), session(token=None), None)
    assert (token.uid, token.type.value, token.country_code, token.party_id) == (
        "#NA",
        "OTHER",
        "NL",
        "EXA",
    )


def test_cdr_without_stored_periods_is_one_period_and_free() -> None:
    s = session()
    cdr = mc.cdr(ctx(), s, auth(s))
    wire = CDR.model_validate(cdr.model_dump_ocpi())
    [period] = wire.charging_periods
    assert [(d.type.value, d.volume) for d in period.dimensions] == [
        ("ENERGY", Decimal("12.5")),
        ("TIME", Decimal(2)),
    ]
    assert (wire.total_energy, wire.total_time) == (Decimal("12.5"), Decimal(2))
    assert wire.total_cost.excl_vat == 0
    assert wire.cdr_location.address == "A very long street name that goes on and on, "
    assert len(wire.cdr_location.address) == 45


def test_cdr_from_stored_periods_priced_by_the_tariff() -> None:
    s = session()
    periods = [
        ClosedPeriod(
            0,
            T0,
            T0 + timedelta(hours=1, minutes=30),
            PeriodKind.CHARGING,
            12_500,
            16.0,
            6.0,
            11_000.0,
            1_400.0,
        ),
        ClosedPeriod(
            1,
            T0 + timedelta(hours=1, minutes=30),
            T0 + timedelta(hours=2),
            PeriodKind.PARKING,
            0,
            None,
            None,
            0.0,
            0.0,
        ),
    ]
    cdr = mc.cdr(ctx(TARIFF), s, auth(s), periods)
    charging, parking = cdr.charging_periods
    dims = {d.type.value: d.volume for d in charging.dimensions}
    assert dims == {
        "ENERGY": Decimal("12.5"),
        "TIME": Decimal("1.5"),
        "MAX_CURRENT": Decimal(16),
        "MIN_CURRENT": Decimal(6),
        "MAX_POWER": Decimal(11),
        "MIN_POWER": Decimal("1.4"),
    }
    assert {d.type.value for d in parking.dimensions} == {
        "ENERGY",
        "PARKING_TIME",
        "MAX_POWER",
        "MIN_POWER",
    }
    assert charging.tariff_id == parking.tariff_id == "T1"
    # 12.5 kWh at 0.30 (+20 % VAT) and 0.5 h parking at 2.00 (no VAT)
    assert cdr.total_energy_cost is not None
    assert cdr.total_parking_cost is not None
    assert cdr.total_energy_cost.excl_vat == Decimal("3.75")
    assert cdr.total_parking_cost.excl_vat == Decimal("1.00")
    assert (cdr.total_cost.excl_vat, cdr.total_cost.incl_vat) == (
        Decimal("4.75"),
        Decimal("5.50"),
    )
    assert cdr.total_parking_time == Decimal("0.5")


def test_cdr_needs_an_ended_session_on_a_known_evse() -> None:
    s = session(end=None)
    with pytest.raises(m.MappingError, match="has not ended"):
        mc.cdr(ctx(), s, auth(s))
    gone = session()
    gone = Session(**{**gone.__dict__, "evse_uid": "E9"})
    with pytest.raises(m.MappingError, match="E9 is not in the site file"):
        mc.cdr(ctx(), gone, auth(gone))


def test_authorization_reference_on_session_and_cdr() -> None:
    s = session()
    wire = m.session(ctx(), s, auth(s, "REF-42")).model_dump_ocpi()
    assert OcpiSession.model_validate(wire).authorization_reference == "REF-42"
    cdr = CDR.model_validate(mc.cdr(ctx(), s, auth(s, "REF-42")).model_dump_ocpi())
    assert cdr.authorization_reference == "REF-42"
    assert mc.cdr(ctx(), s, auth(s)).authorization_reference is None


def test_an_ocpp_connector_is_an_evse_of_the_location_and_its_cdrs() -> None:
    config = parse_config(SITE)
    charger = OcppConnector(
        id=2, evse_uid="CP1-2", evse_id="NL*EXA*E0102*1", max_current_a=20, phases=1
    )
    both = m.SiteContext(
        Party("NL", "EXA"),
        config.site,
        {"E1": config.evse[0], "CP1-2": charger},
        "EUR",
        "Depot BV",
    )
    row = m.EvseStatusRow("AVAILABLE", T0)
    wire = Location.model_validate(
        m.location(both, {"CP1-2": row}, T0).model_dump_ocpi()
    )
    assert [e.uid for e in wire.evses] == ["E1", "CP1-2"]
    ocpp = wire.evses[1]
    assert (ocpp.evse_id, ocpp.status.value) == ("NL*EXA*E0102*1", "AVAILABLE")
    assert [c.value for c in ocpp.capabilities] == ["RFID_READER"]
    conn = ocpp.connectors[0]
    assert (conn.id, conn.power_type.value, conn.max_amperage) == (
        "1",
        "AC_1_PHASE",
        20,
    )
    assert m.static_digest(both) != m.static_digest(ctx())

    s = replace(session(), evse_uid="CP1-2")
    cdr = CDR.model_validate(mc.cdr(both, s, auth(s)).model_dump_ocpi())
    assert (cdr.cdr_location.evse_uid, cdr.cdr_location.evse_id) == (
        "CP1-2",
        "NL*EXA*E0102*1",
    )
