"""Domain to OCPI 2.2.1 for CDRs, as pure functions (see :mod:`.mapping`).

A CDR's charging periods are the store's periods (CHARGING: ENERGY and TIME;
PARKING: ENERGY and PARKING_TIME; both with MIN/MAX_CURRENT and MIN/MAX_POWER when
measured). A session without stored periods gets one period from its start with
ENERGY (meter stop - meter start) and TIME (start to end). The cost comes from
the tariff engine when a tariff is configured; otherwise the site charges nothing
through OCPI and ``total_cost`` is 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from edge.model.period import ClosedPeriod, PeriodKind
from edge.model.session import Session
from edge.ocpi import (
    CDR,
    CdrDimension,
    CdrDimensionType,
    CdrLocation,
    ChargingPeriod,
    ConnectorFormat,
    ConnectorType,
    Price,
)
from edge.tariff import compute_cost
from edge.uplink.ocpi.push.mapping import (
    CONNECTOR_ID,
    DeclaredEvse,
    MappingError,
    SessionAuth,
    SiteContext,
    auth_method,
    coordinates,
    declared_uid,
    fit,
    kwh,
    power_type,
)

_HOUR = Decimal(3600)
_KWH = Decimal(1000)


def cdr_location(ctx: SiteContext, section: DeclaredEvse) -> CdrLocation:
    """Where the session took place, as a CDR freezes it."""
    site = ctx.site
    return CdrLocation(
        id=ctx.location_id,
        name=fit(site.name, 255),
        address=fit(site.address, 45),
        city=fit(site.city, 45),
        postal_code=site.postal_code,
        country=site.country,
        coordinates=coordinates(site),
        evse_uid=declared_uid(section),
        evse_id=fit(section.evse_id or declared_uid(section), 48),
        connector_id=CONNECTOR_ID,
        connector_standard=ConnectorType.IEC_62196_T2,
        connector_format=ConnectorFormat.SOCKET,
        connector_power_type=power_type(section),
    )


def _hours(start: datetime, end: datetime) -> Decimal:
    return Decimal(str((end - start).total_seconds())) / _HOUR


def _dimension(kind: CdrDimensionType, volume: Decimal) -> CdrDimension:
    return CdrDimension(type=kind, volume=volume)


def charging_period(p: ClosedPeriod, tariff_id: str | None) -> ChargingPeriod:
    """One stored period as an OCPI ChargingPeriod (kWh, hours, A, kW)."""
    time_kind = (
        CdrDimensionType.TIME
        if p.kind is PeriodKind.CHARGING
        else CdrDimensionType.PARKING_TIME
    )
    dims = [
        _dimension(CdrDimensionType.ENERGY, Decimal(p.energy_wh) / _KWH),
        _dimension(time_kind, _hours(p.start, p.end)),
    ]
    for kind, value, scale in (
        (CdrDimensionType.MAX_CURRENT, p.max_current_a, 1),
        (CdrDimensionType.MIN_CURRENT, p.min_current_a, 1),
        (CdrDimensionType.MAX_POWER, p.max_power_w, 1000),
        (CdrDimensionType.MIN_POWER, p.min_power_w, 1000),
    ):
        if value is not None:
            dims.append(_dimension(kind, Decimal(str(value)) / scale))
    return ChargingPeriod(start_date_time=p.start, dimensions=dims, tariff_id=tariff_id)


def charging_periods(
    s: Session, stored: Sequence[ClosedPeriod], tariff_id: str | None
) -> list[ChargingPeriod]:
    """The stored periods, or one period for the whole session without them."""
    if stored:
        return [charging_period(p, tariff_id) for p in sorted(stored, key=_seq)]
    end = s.end or s.last_updated
    return [
        ChargingPeriod(
            start_date_time=s.start,
            dimensions=[
                _dimension(CdrDimensionType.ENERGY, kwh(s)),
                _dimension(CdrDimensionType.TIME, _hours(s.start, end)),
            ],
            tariff_id=tariff_id,
        )
    ]


def _seq(p: ClosedPeriod) -> int:
    return p.seq


def cdr(
    ctx: SiteContext,
    s: Session,
    auth: SessionAuth,
    stored: Sequence[ClosedPeriod] = (),
) -> CDR:
    """The CDR of a finished session; raises MappingError or TariffError."""
    if s.end is None:
        raise MappingError(f"session {s.id} has not ended: no CDR yet")
    section = ctx.evses.get(s.evse_uid)
    if section is None:
        raise MappingError(f"session {s.id}: EVSE {s.evse_uid} is not in the site file")
    tariff = ctx.tariff
    periods = charging_periods(s, stored, tariff.id if tariff else None)
    parking = [p for p in stored if p.kind is PeriodKind.PARKING]
    costs: dict[str, Price | Decimal]
    if tariff is not None:
        cost = compute_cost(
            tariff, periods, end=s.end, time_zone=ctx.site.time_zone, start=s.start
        )
        costs = cost.cdr_fields()
    else:
        costs = {
            "total_cost": Price(excl_vat=Decimal(0), incl_vat=Decimal(0)),
            "total_energy": kwh(s),
            "total_time": _hours(s.start, s.end),
        }
        if parking:
            costs["total_parking_time"] = sum(
                (_hours(p.start, p.end) for p in parking), Decimal(0)
            )
    return CDR.model_validate(
        {
            "country_code": ctx.party.country_code,
            "party_id": ctx.party.party_id,
            "id": s.id,
            "start_date_time": s.start,
            "end_date_time": s.end,
            "session_id": s.id,
            "cdr_token": auth.token,
            "auth_method": auth_method(s),
            "authorization_reference": auth.authorization_reference,
            "cdr_location": cdr_location(ctx, section),
            "currency": ctx.currency,
            "tariffs": [tariff] if tariff else [],
            "charging_periods": periods,
            "last_updated": s.end,
            **costs,
        }
    )
