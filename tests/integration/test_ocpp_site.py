"""OCPP chargers in a running site: EVSEs of its OCPI location, statuses pushed."""

from __future__ import annotations

import asyncio
import json

from edge.cli.sim_live import status_table
from edge.evse.port import EvseKind
from edge.evse.states import EvseStatus
from edge.ocpi import CommandType
from edge.store.evse_status import evse_statuses
from tests.integration.ocpi_rig import until
from tests.integration.ocpp_site_rig import live_site


async def test_a_chargers_connectors_are_evses_of_the_site_and_its_location(tmp_path):
    async with live_site(tmp_path) as live:
        assert "ocpp server" in live.site.ready.parts
        ports = live.site.evses
        assert sorted(ports) == ["CP001-1", "CP002-1", "CP002-2", "E1"]
        assert ports["CP001-1"].identity.kind is EvseKind.OCPP
        # the Location the uplink pushed has every EVSE; the chargers' are UNKNOWN
        # until they connect
        await until(lambda: live.evse_status("CP002-2") == "UNKNOWN")
        evses = {e["uid"]: e for e in live.location()["evses"]}
        assert sorted(evses) == ["CP001-1", "CP002-1", "CP002-2", "E1"]
        assert evses["CP001-1"]["evse_id"] == "NL*EXA*E0101*1"
        assert evses["CP001-1"]["connectors"][0]["max_amperage"] == 32

        cp, run = await live.charger("CP001")
        assert (await cp.boot()).status == "Accepted"
        await cp.status(1, "Available")
        await until(lambda: live.evse_status("CP001-1") == "AVAILABLE")
        await cp.status(1, "Charging")
        await until(lambda: live.evse_status("CP001-1") == "CHARGING")
        assert ports["CP001-1"].view().status is EvseStatus.CHARGING
        stored = await live.db.run(evse_statuses)
        assert stored["CP001-1"][0] == "CHARGING"
        table = status_table(live.site, live.clock)  # edge sim's live view
        cells = zip(table.columns[0]._cells, table.columns[2]._cells, strict=True)
        listed = dict(cells)
        assert listed["CP001-1"] == "CHARGING"
        assert listed["CP002-2"] == "UNKNOWN"
        assert stored["CP002-1"][0] == "UNKNOWN"  # never connected
        # the board EVSE is untouched by the charger's reports
        assert live.evse_status("E1") == "AVAILABLE"

        await cp.link.close()  # the charger goes away: UNKNOWN again
        await run
        await until(lambda: live.evse_status("CP001-1") == "UNKNOWN")
        writes = live.bo.state.writes_for("locations", "LOC1/CP001-1")
        shown = [w.status for w in writes if w.status is not None]
        assert shown[-3:] == ["AVAILABLE", "CHARGING", "UNKNOWN"]


async def test_a_burst_of_reports_ends_in_the_last_one(tmp_path):
    async with live_site(tmp_path) as live:
        cp, run = await live.charger("CP002")
        await cp.boot()
        sequence = ["Available", "Preparing", "Charging", "SuspendedEV", "Finishing"]
        await asyncio.gather(*(cp.status(2, s) for s in sequence))
        await cp.status(2, "Faulted", error_code="GroundFailure")
        await until(lambda: live.evse_status("CP002-2") == "OUTOFORDER")
        stored = await live.db.run(evse_statuses)
        assert stored["CP002-2"][0] == "OUTOFORDER"
        assert live.evse_status("CP002-1") == "UNKNOWN"  # no report of connector 1
        await cp.link.close()
        await run


async def _availability(live, identity, evse, operative):
    reply = await live.post(
        f"/api/v1/chargers/{identity}/availability",
        {"evse": evse, "operative": operative},
    )
    assert reply.status == 200, reply.body
    assert json.loads(reply.body)["outcome"] == "ACCEPTED"


def _shown(live, uid):
    """Every EVSE status the backoffice got for ``uid``, in order."""
    writes = live.bo.state.writes_for("locations", f"LOC1/{uid}")
    return [w.status for w in writes if w.status is not None]


async def test_availability_reaches_the_backoffice_once_in_order(tmp_path):
    """Inoperative through the local API, or Unavailable/Faulted from the charger."""
    async with live_site(tmp_path, web=True) as live:
        cp, run = await live.charger("CP002")
        cs, run201 = await live.station("CS201")
        await cp.boot()
        await cs.boot()
        await cp.status(1, "Available")
        await cs.status(1, 1, "Available")
        for uid in ("CP002-1", "CS201-1"):
            await until(lambda uid=uid: live.evse_status(uid) == "AVAILABLE")
        before = {uid: len(_shown(live, uid)) for uid in ("CP002-1", "CS201-1")}

        await _availability(live, "CP002", 1, operative=False)
        await _availability(live, "CS201", 1, operative=False)
        assert cp.state.inoperative == {1}
        assert cs.state.operations[-1][1]["operational_status"] == "Inoperative"
        for uid in ("CP002-1", "CS201-1"):  # at once, not waiting for the charger
            await until(lambda uid=uid: live.evse_status(uid) == "INOPERATIVE")
        await cp.status(1, "Unavailable")  # what a charger then says: no news
        await cs.availability_event(1, 1, "Unavailable")
        await _availability(live, "CP002", 1, operative=True)
        await _availability(live, "CS201", 1, operative=True)
        await cp.status(1, "Available")
        await cs.status(1, 1, "Available")
        for uid in ("CP002-1", "CS201-1"):
            await until(lambda uid=uid: live.evse_status(uid) == "AVAILABLE")

        await cp.status(1, "Faulted", error_code="GroundFailure")
        await cs.status(1, 1, "Faulted")
        for uid in ("CP002-1", "CS201-1"):
            await until(lambda uid=uid: live.evse_status(uid) == "OUTOFORDER")
        await cp.status(1, "Unavailable")  # its own reason, not ours
        await cs.status(1, 1, "Unavailable")
        for uid in ("CP002-1", "CS201-1"):
            await until(lambda uid=uid: live.evse_status(uid) == "INOPERATIVE")
        await cp.status(1, "Available")
        await cs.status(1, 1, "Available")
        for uid in ("CP002-1", "CS201-1"):
            await until(lambda uid=uid: live.evse_status(uid) == "AVAILABLE")
        stored = await live.db.run(evse_statuses)
        await cp.link.close()
        await cs.link.close()
        await run
        await run201
    for uid in ("CP002-1", "CS201-1"):
        assert stored[uid][0] == "AVAILABLE"
        assert _shown(live, uid)[before[uid] :] == [
            "INOPERATIVE",
            "AVAILABLE",
            "OUTOFORDER",
            "INOPERATIVE",
            "AVAILABLE",
        ]


APP_TOKEN = {
    "country_code": "BE",
    "party_id": "EMS",
    "uid": "APP-USER-0042",
    "type": "APP_USER",
    "contract_id": "BE-EMS-C00000042-Z",
    "issuer": "Roaming eMSP",
    "valid": True,
    "whitelist": "ALLOWED",
    "last_updated": "2026-03-01T00:00:00Z",
}


async def test_ocpi_commands_reach_the_charger(tmp_path):
    async with live_site(tmp_path) as live:
        cp, run = await live.charger("CP001")
        await cp.boot()
        await cp.status(1, "Preparing")
        await until(lambda: live.evse_status("CP001-1") == "CHARGING")
        body = {
            "token": APP_TOKEN,
            "location_id": "LOC1",
            "evse_uid": "CP001-1",
            "connector_id": "1",
        }
        started = await live.command(CommandType.START_SESSION, body)
        assert started == ("ACCEPTED", "ACCEPTED")  # our response, the result
        [call] = cp.state.remote.calls("RemoteStartTransaction")
        assert call.payload == {"id_tag": "APP-USER-0042", "connector_id": 1}

        unlocked = await live.command(
            CommandType.UNLOCK_CONNECTOR,
            {"location_id": "LOC1", "evse_uid": "CP001-1", "connector_id": "1"},
        )
        assert unlocked == ("ACCEPTED", "ACCEPTED")
        assert cp.state.remote.calls("UnlockConnector")[0].payload == {
            "connector_id": 1
        }

        # a charger that is away: the eMSP hears why, the site keeps running
        _, away = await live.command(
            CommandType.START_SESSION, {**body, "evse_uid": "CP002-1"}
        )
        assert away == "FAILED"
        await cp.link.close()
        await run


async def test_ocpi_stop_session_stops_the_chargers_transaction(tmp_path):
    async with live_site(tmp_path) as live:
        cp, run = await live.charger("CP001")
        await cp.boot()
        await cp.status(1, "Preparing")
        started = await cp.start_transaction(1, "04A23B1C00", 1000)
        assert started.id_tag_info.status == "Accepted"
        port = live.site.evses["CP001-1"]
        await until(lambda: port.view().session is not None)
        session = port.view().session
        assert session is not None
        stopped = await live.command(
            CommandType.STOP_SESSION, {"session_id": session.id}
        )
        assert stopped == ("ACCEPTED", "ACCEPTED")
        [call] = cp.state.remote.calls("RemoteStopTransaction")
        assert call.payload == {"transaction_id": started.transaction_id}
        await cp.link.close()
        await run


async def test_a_booted_charger_gets_the_sites_cards_and_takes_a_limit(tmp_path):
    """edge run's wiring: the local list from the site's tokens, limits as profiles."""
    async with live_site(tmp_path) as live:
        cp, run = await live.charger("CP001")
        await cp.boot()
        await cp.status(1, "Available")
        held = cp.state.local_list
        await until(lambda: {"04A23B1C00", "62E3086CED"} <= held.entries.keys())
        assert held.entries["04A23B1C00"] == "Accepted"
        assert held.received[0]["updateType"] == "Full"

        port = live.site.evses["CP001-1"]
        result = await port.set_current_limit(10.0, timeout_s=30.0)
        assert result.outcome.value == "ACCEPTED", result
        now = live.clock.utcnow()
        assert cp.state.profiles.limit_a(1, now) == 10.0
        refused = await port.set_current_limit(3.0, timeout_s=30.0)
        assert refused.outcome.value == "REJECTED"
        assert cp.state.profiles.limit_a(1, live.clock.utcnow()) == 10.0
        await cp.link.close()
        await run
