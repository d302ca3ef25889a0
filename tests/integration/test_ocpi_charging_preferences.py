"""OCPI 2.2.1 ChargingPreferences: the eMSP PUTs a driver's wish, over real HTTP.

The simulated eMSP calls our Sessions Sender's
``{sessions}/{session_id}/charging_preferences``; the answer's data is a
ChargingPreferencesResponse, and an accepted CHEAP departure is the price plan's.
The EVSE is a test port (tests.unit.load), the planner and the uplink are real.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from edge.evse.port import RunningSession
from edge.load.price_plan import Unplanned
from edge.load.price_source import PricePlanner
from edge.model.departure import Source
from edge.wiring.preferences import preferences_for
from hal_sim.backoffice.client import PeerHttpError, PeerStatusError
from hal_sim.backoffice.cpo import CpoPeer
from tests.integration.ocpi_rig import T0, rig, site_config
from tests.unit.load.manager_rig import FakePort

AMS = ZoneInfo("Europe/Amsterdam")
SID = "0f0e9bd1-2a43-4c36-8d1c-1d7e5c0e2a11"


def prices(tmp_path: Path) -> Path:
    rows = ["start,price"] + [
        f"{(T0 + timedelta(hours=k)).isoformat()},{0.4 if k < 6 else 0.05}"
        for k in range(48)
    ]
    path = tmp_path / "prices.csv"
    path.write_text("\n".join(rows) + "\n")
    return path


async def test_charging_preferences_set_the_departure_or_say_why_not(
    tmp_path: Path,
) -> None:
    load = (
        f'[load]\n[load.prices]\nfile = "{prices(tmp_path)}"\n'
        '[[load.circuit]]\nid = "main"\nlimit_a = 40\n'
        'meter = { bus = "gw", unit = 10, model = "eastron_sdm630" }\n'
        '[[load.evse]]\nuid = "E1"\ncircuit = "main"\n'
        '[[load.evse]]\nuid = "E2"\ncircuit = "main"\nmode = "surplus"\n'
    )
    async with rig(tmp_path, start=False) as r:
        r.config = site_config(extra=load)
        assert r.config.load is not None
        assert r.config.load.prices is not None
        planner = PricePlanner(
            r.config.load, r.config.load.prices, r.config.evse, AMS, r.clock
        )
        planner.load()
        ports = {u: FakePort(u, r.clock) for u in ("E1", "E2")}
        ports["E1"].session = RunningSession(SID, "AA", None, T0, 0, 0)
        ports["E2"].session = RunningSession("other", "AA", None, T0, 0, 0)
        await r.start(preferences=preferences_for(planner, ports, r.clock))
        peer = CpoPeer(r.bo.backoffice)
        url = await peer.url("sessions", "SENDER")

        async def put(sid: str, body: object) -> object:
            reply = await peer._call("PUT", f"{url}/{sid}/charging_preferences", body)
            assert reply.status_code == 1000
            return reply.data

        at = (r.clock.utcnow() + timedelta(hours=12)).replace(microsecond=0)
        soon = at.strftime("%Y-%m-%dT%H:%M:%SZ")  # an OCPI DateTime
        past = (at - timedelta(hours=13)).strftime("%Y-%m-%dT%H:%M:%SZ")
        cheap = {"profile_type": "CHEAP", "departure_time": soon, "energy_need": 5.5}
        assert await put(SID, cheap) == "ACCEPTED"
        own = planner.sessions["E1"]
        assert (own.session_id, own.energy_wh, own.source) == (SID, 5500, Source.OCPI)
        assert own.departure == at
        caps = planner.caps({"E1": ports["E1"].view()}, r.clock.utcnow())
        assert caps["E1"].current_a == 0.0  # waits for the cheap hours
        # a session id is case-insensitive (CiString)
        assert await put(SID.upper(), cheap) == "ACCEPTED"

        assert await put(SID, {"profile_type": "CHEAP"}) == "DEPARTURE_REQUIRED"
        no_energy = {"profile_type": "CHEAP", "departure_time": soon}
        assert await put(SID, no_energy) == "ENERGY_NEED_REQUIRED"
        gone = {"profile_type": "CHEAP", "departure_time": past, "energy_need": 5}
        assert await put(SID, gone) == "NOT_POSSIBLE"
        huge = {"profile_type": "CHEAP", "departure_time": soon, "energy_need": 9e5}
        assert await put(SID, huge) == "NOT_POSSIBLE"
        assert await put(SID, {"profile_type": "GREEN"}) == "PROFILE_TYPE_NOT_SUPPORTED"
        assert await put(SID, {"profile_type": "FAST"}) == "ACCEPTED"
        planner.caps({"E1": ports["E1"].view()}, r.clock.utcnow())
        assert planner.plans["E1"] == Unplanned("the driver asked for fast (ocpi)")
        assert await put(SID, {"profile_type": "REGULAR"}) == "ACCEPTED"
        assert planner.sessions == {}  # back to the site file's way

        # not ours, or not on an EVSE that takes preferences: HTTP 404, OCPI 2001
        for sid, said in [
            ("nope", "unknown session nope"),
            ("other", "EVSE E2 is not CHARGING_PREFERENCES_CAPABLE"),
        ]:
            with pytest.raises(PeerHttpError) as missing:
                await put(sid, cheap)
            assert missing.value.http_status == 404
            assert missing.value.ocpi_status == 2001
            assert said in str(missing.value.ocpi_message)
        with pytest.raises(
            PeerStatusError, match=r"charging_preferences\.profile_type"
        ):
            await put(SID, {"profile_type": "SLOW"})

        # the Location says which EVSEs take them
        location = (await peer.get("locations", "LOC1")).data
        assert isinstance(location, dict)
        capable = {
            e["uid"]: "CHARGING_PREFERENCES_CAPABLE" in e.get("capabilities", [])
            for e in location["evses"]
        }
        assert capable == {"E1": True, "E2": False}
