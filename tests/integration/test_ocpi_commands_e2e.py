"""The eMSP's commands carried out by a real site, end to end.

A SimWorld (simulated Modbus meters and boards, EVs, card readers on ptys), the
simulated OCPI backoffice, and a real :class:`~edge.app.Site` whose uplink
registers with that backoffice over real HTTP, as ``edge sim`` assembles them.
The backoffice sends commands as an eMSP does (:class:`CpoPeer`); what the site
did is read from the simulated physics and from what the backoffice received.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, timedelta
from pathlib import Path

import pytest

from drivers.modbus.profile import ProfileLibrary
from edge.app import Overrides, Site
from edge.config.loader import load_config
from edge.model.clock import ScaledClock
from edge.ocpi import CommandResultType, CommandType
from edge.ocpi.common import JsonObject
from edge.sim_uplink import sim_uplink
from edge.store.db import Database
from edge.store.sessions import list_sessions
from hal_sim.backoffice.cpo import CpoPeer, SentCommand
from hal_sim.backoffice.server import SimBackoffice
from hal_sim.schedule import Visit
from hal_sim.site import SimChannel
from hal_sim.world import SimWorld
from tests.integration.ocpi_rig import until
from tests.integration.sites import site_file

SPEED = 20.0
READY_GUARD_S = 30.0
LOCATION = ("NL", "EXA", "LOC1")
# A token of another eMSP that roams through this backoffice: the Session and CDR
# must name the token's issuer, not the party the CPO pushes to (DE*MSP).
APP_TOKEN: JsonObject = {
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
RESERVER: JsonObject = {
    **APP_TOKEN,
    "uid": "0A0B0C0D0E",
    "type": "RFID",
    "contract_id": "BE-EMS-C00000043-Y",
}
OTHER_CARD = "62E3086CED"
"""In the site's local list: it would charge anywhere that is not reserved."""


@dataclass
class Live:
    """A running site, its simulated world and backoffice, and the eMSP's calls."""

    site: Site
    world: SimWorld
    bo: SimBackoffice
    peer: CpoPeer
    clock: ScaledClock
    db: Database

    def channel(self, uid: str) -> SimChannel:
        return self.world.site.channels[uid]

    def plug_in(self, uid: str) -> Visit:
        visit = Visit(f"ev-{uid}", uid, None, 0, 1e9, 30_000, 60_000, 0.3, 16, 3)
        self.world.site.plug_in(visit)
        return visit

    def energy_wh(self, uid: str) -> float:
        ev = self.channel(uid).board.ev
        return 0.0 if ev is None else ev.energy_taken_wh

    def results(self, sent: SentCommand) -> list[CommandResultType]:
        return [
            r.result for r in self.bo.state.command_results.get(sent.command_id, [])
        ]

    async def result(self, sent: SentCommand, timeout: float = 10.0) -> str:
        assert sent.response.result.value == "ACCEPTED", sent.response
        await until(lambda: bool(self.results(sent)), timeout)
        return self.results(sent)[0].value

    def evse_status(self, uid: str) -> str | None:
        loc = self.bo.state.locations.get(LOCATION, {})
        evses = loc.get("evses", [])
        assert isinstance(evses, list)
        return next((str(e["status"]) for e in evses if e["uid"] == uid), None)

    def pushed_statuses(self, uid: str) -> list[str]:
        writes = self.bo.state.writes_for("locations", f"LOC1/{uid}")
        return [w.status for w in writes if w.status is not None]

    def pushed_session(self, uid: str) -> JsonObject | None:
        found = [s for s in self.bo.state.sessions.values() if s["evse_uid"] == uid]
        return found[-1] if found else None


@contextlib.asynccontextmanager
async def live_site(tmp_path: Path) -> AsyncIterator[Live]:
    """A two-EVSE site with its uplink registered; everything stopped afterwards."""
    path = site_file(tmp_path, "", evses=2, extra="[ocpi]\n")
    config = load_config(path, ProfileLibrary().ids())
    assert config.sim is not None
    assert config.sim.start is not None
    clock = ScaledClock(SPEED, config.sim.start.astimezone(UTC))
    world = SimWorld(config, clock)
    endpoints = await world.start()
    db_path = tmp_path / "edge.db"
    tasks: list[asyncio.Task[None]] = []
    try:
        async with sim_uplink(config, clock, db_path) as (config, bo):
            assert bo is not None
            db = await Database.open(db_path)
            overrides = Overrides(
                endpoints=dict(endpoints.modbus), rfid_ports=dict(endpoints.rfid)
            )
            site = Site(config, clock, db, overrides)
            try:
                tasks += [
                    asyncio.create_task(world.run(), name="sim world"),
                    asyncio.create_task(site.run(), name="site"),
                ]
                uplink = site.uplink
                assert uplink is not None
                # READY: card readers open, devices polled, the uplink decided;
                # then registered (the timeouts are guards, not waits)
                await asyncio.wait_for(site.ready.wait(), READY_GUARD_S)
                await asyncio.wait_for(uplink.connected.wait(), READY_GUARD_S)
                live = Live(site, world, bo, CpoPeer(bo.backoffice), clock, db)
                # the EVSEs' first statuses reached the backoffice
                await until(
                    lambda: (
                        [live.evse_status(u) for u in ("E1", "E2")]
                        == ["AVAILABLE", "AVAILABLE"]
                    )
                )
                yield live
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                await db.close()
    finally:
        await world.close()


def start_body(evse_uid: str, reference: str | None = None) -> JsonObject:
    body: JsonObject = {
        "token": APP_TOKEN,
        "location_id": "LOC1",
        "evse_uid": evse_uid,
        "connector_id": "1",
    }
    if reference is not None:
        body["authorization_reference"] = reference
    return body


async def test_start_and_stop_session_charge_the_ev(tmp_path: Path) -> None:
    async with live_site(tmp_path) as live:
        live.plug_in("E1")
        await until(lambda: live.evse_status("E1") != "AVAILABLE")  # EV seen
        assert live.energy_wh("E1") == 0  # no card, no command: no charge
        start = await live.peer.command(
            CommandType.START_SESSION, start_body("E1", "AUTH-REF-0001")
        )
        assert await live.result(start) == "ACCEPTED"
        # the EV charges: the simulated meter's energy grows
        await until(lambda: live.energy_wh("E1") > 20)
        first = live.energy_wh("E1")
        await until(lambda: live.energy_wh("E1") > first + 20)
        assert live.channel("E1").board.relay_closed
        # the pushed Session names the command's token and reference
        await until(lambda: live.pushed_session("E1") is not None)
        session = live.pushed_session("E1")
        assert session is not None
        assert session["status"] == "ACTIVE"
        assert session["auth_method"] == "COMMAND"
        assert session["authorization_reference"] == "AUTH-REF-0001"
        assert session["cdr_token"] == {
            "country_code": "BE",
            "party_id": "EMS",
            "uid": "APP-USER-0042",
            "type": "APP_USER",
            "contract_id": "BE-EMS-C00000042-Z",
        }
        sid = str(session["id"])

        stop = await live.peer.command(CommandType.STOP_SESSION, {"session_id": sid})
        assert await live.result(stop) == "ACCEPTED"
        board = live.channel("E1").board
        await until(lambda: board.offered_a() == 0 and not board.relay_closed)
        stopped_at = live.energy_wh("E1")
        assert stopped_at > first
        # the CDR reached the eMSP, with the same token and reference
        await until(lambda: ("NL", "EXA", sid) in live.bo.state.cdrs)
        cdr = live.bo.state.cdrs[("NL", "EXA", sid)]
        assert cdr["auth_method"] == "COMMAND"
        assert cdr["authorization_reference"] == "AUTH-REF-0001"
        assert cdr["cdr_token"] == session["cdr_token"]
        assert float(str(cdr["total_energy"])) > 0
        final = live.pushed_session("E1")
        assert final is not None
        assert final["status"] == "COMPLETED"
        # nothing flows once stopped (the EV is still plugged in)
        await live.clock.sleep(30)
        assert live.energy_wh("E1") == stopped_at
        # a second STOP_SESSION for the closed session is refused at once
        again = await live.peer.command(CommandType.STOP_SESSION, {"session_id": sid})
        assert again.response.result.value == "UNKNOWN_SESSION"
        [stored] = await live.db.run(list_sessions)
        assert (stored.id, stored.auth_method, stored.stop_reason) == (
            sid,
            "COMMAND",
            "REMOTE",
        )


def reserve_body(reservation_id: str, evse_uid: str, live: Live) -> JsonObject:
    expiry = live.clock.utcnow() + timedelta(hours=1)
    return {
        "token": RESERVER,
        "expiry_date": expiry.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "reservation_id": reservation_id,
        "location_id": "LOC1",
        "evse_uid": evse_uid,
        "authorization_reference": "AUTH-REF-R1",
    }


async def test_reserve_refuse_another_card_then_cancel(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="edge.evse.controller")
    async with live_site(tmp_path) as live:
        reserve = await live.peer.command(
            CommandType.RESERVE_NOW, reserve_body("RES-1", "E2", live)
        )
        assert await live.result(reserve) == "ACCEPTED"
        await until(lambda: live.evse_status("E2") == "RESERVED")
        assert live.evse_status("E1") == "AVAILABLE"  # only the EVSE asked for
        # another driver plugs in at E2 and shows a card the site would accept
        visit = live.plug_in("E2")
        await live.world.readers["E2"].present(OTHER_CARD, 0.3)
        await until(
            lambda: any(
                "E2: card refused: EVSE reserved for another token" in r.getMessage()
                for r in caplog.records
            )
        )
        await live.clock.sleep(20)
        assert live.channel("E2").board.offered_a() == 0
        assert live.energy_wh("E2") == 0
        assert live.site.controllers["E2"].state.session is None
        live.world.site.unplug(visit)
        await until(lambda: live.evse_status("E2") == "RESERVED")
        # the same card at the free EVSE charges: the refusal was the reservation
        live.plug_in("E1")
        await live.world.readers["E1"].present(OTHER_CARD, 0.3)
        await until(lambda: live.energy_wh("E1") > 0)

        cancel = await live.peer.command(
            CommandType.CANCEL_RESERVATION, {"reservation_id": "RES-1"}
        )
        assert await live.result(cancel) == "ACCEPTED"
        await until(lambda: live.evse_status("E2") == "AVAILABLE")
        statuses = live.pushed_statuses("E2")
        assert "RESERVED" in statuses
        assert statuses[-1] == "AVAILABLE"
        assert statuses.index("RESERVED") < len(statuses) - 1
        # the reservation is gone: cancelling it again is UNKNOWN_RESERVATION
        again = await live.peer.command(
            CommandType.CANCEL_RESERVATION, {"reservation_id": "RES-1"}
        )
        assert await live.result(again) == "UNKNOWN_RESERVATION"
        assert live.site.controllers["E2"].state.reservation is None


async def test_start_session_without_an_ev_fails_when_the_plug_window_passes(
    tmp_path: Path,
) -> None:
    async with live_site(tmp_path) as live:
        t0 = live.clock.monotonic()
        start = await live.peer.command(CommandType.START_SESSION, start_body("E1"))
        assert start.response.result.value == "ACCEPTED"
        window = live.site.controllers["E1"].settings.auth_window_s
        assert start.response.timeout > window  # announced: longer than the wait
        got = await live.result(start, timeout=window / SPEED + 5)
        waited = live.clock.monotonic() - t0
        assert got == "FAILED"  # the EVSE's answer, not the receiver's TIMEOUT
        assert waited >= window
        [result] = live.bo.state.command_results[start.command_id]
        assert "no EV plugged in" in result.message[0].text
        # the start was dropped: an EV plugged in now does not charge
        live.plug_in("E1")
        await live.clock.sleep(30)
        assert live.energy_wh("E1") == 0
        assert live.site.controllers["E1"].state.session is None
        assert live.pushed_session("E1") is None
