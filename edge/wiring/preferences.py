"""OCPI ChargingPreferences onto the price plan: what a driver's wish means here.

``CHEAP`` (and ``REGULAR`` with a ``departure_time``) plans the session for its
departure, wanting ``energy_need`` (kWh) or the EVSE's ``energy_wh``; ``FAST``
charges it as fast as the fuses allow, with no plan; ``REGULAR`` without a
departure goes back to the site file's; ``GREEN`` is not offered (surplus
charging is per EVSE in the site file, not per session). ``discharge_allowed``
asks nothing of us (we never discharge). Nothing here can loosen a fuse limit.
An accepted wish is on disk before it is answered (the planner's book).
"""

from __future__ import annotations

from collections.abc import Mapping

from edge.evse.port import EvsePort, EvseView
from edge.load.departures import DepartureRefused, Refusal
from edge.load.price_source import PricePlanner
from edge.model.clock import Clock
from edge.model.departure import Source
from edge.ocpi import ChargingPreferences, ChargingPreferencesResponse, ProfileType
from edge.uplink.ocpi.serve.charging_preferences import NoPreferences, Preferences

MAX_ENERGY_WH = 500_000
R = ChargingPreferencesResponse


def preferences_for(
    planner: PricePlanner, ports: Mapping[str, EvsePort], clock: Clock
) -> Preferences:
    """The uplink's ChargingPreferences handler over ``planner``."""

    def running(session_id: str) -> tuple[str, EvseView, str]:
        for uid, port in ports.items():
            view = port.view()
            session = view.session
            if session is not None and session.id.lower() == session_id.lower():
                return uid, view, session.id
        raise NoPreferences(f"unknown session {session_id} (none runs with this id)")

    async def answer(
        session_id: str, prefs: ChargingPreferences
    ) -> ChargingPreferencesResponse:
        uid, view, sid = running(session_id)
        if uid not in planner.departures:
            raise NoPreferences(
                f"session {session_id}: EVSE {uid} is not CHARGING_PREFERENCES_CAPABLE"
            )
        kind = prefs.profile_type
        try:
            if kind is ProfileType.GREEN:
                return R.PROFILE_TYPE_NOT_SUPPORTED
            if kind is ProfileType.FAST:
                await planner.charge_fast(uid, view, Source.OCPI, sid)
                return R.ACCEPTED
            if prefs.departure_time is None:
                if kind is ProfileType.CHEAP:
                    return R.DEPARTURE_REQUIRED
                await planner.clear_departure(uid)  # REGULAR: the site file's way
                return R.ACCEPTED
            energy_wh = None
            if prefs.energy_need is not None:
                energy_wh = round(float(prefs.energy_need) * 1000)
                if not 0 < energy_wh <= MAX_ENERGY_WH:
                    return R.NOT_POSSIBLE
            await planner.set_departure(
                uid,
                view,
                prefs.departure_time,
                energy_wh,
                Source.OCPI,
                clock.utcnow(),
                session_id=sid,
            )
        except DepartureRefused as exc:
            match exc.refusal:
                case Refusal.ENERGY_NEEDED:
                    return R.ENERGY_NEED_REQUIRED
                case Refusal.NOT_POSSIBLE:
                    return R.NOT_POSSIBLE
                case Refusal.NO_SESSION | Refusal.NOT_PLANNED:
                    raise NoPreferences(f"session {session_id}: {exc.reason}") from exc
        return R.ACCEPTED

    return answer
