"""hal_sim's simulated 2.0.1 station (edge sim's) against the central system."""

from __future__ import annotations

import asyncio

from edge.model.clock import SystemClock
from edge.model.commands import CommandOutcome, CommandToken
from edge.ocpp.evse import ocpp_evses
from hal_sim.ocpp.sim_station_201 import SimOcppStation
from hal_sim.schedule import Visit
from hal_sim.visits import TruthLog
from tests.integration.ocpi_rig import until
from tests.integration.ocpp201_rig import mixed
from tests.integration.ocpp_rig import CARD, central_system

TOKEN = CommandToken(CARD, "RFID", "NL-EXA-C1", "NL", "EXA")


async def test_it_boots_charges_and_acts_on_request_start_and_stop():
    clock = SystemClock()
    truth = TruthLog(clock)
    cfg = mixed()
    async with central_system(cfg) as (central, srv):
        charger = next(c for c in cfg.charger if c.identity == "CS202")
        sim = SimOcppStation(charger, clock, 1_000_000, truth)
        task = asyncio.create_task(sim.run(srv.url("127.0.0.1", "CS202")))
        try:
            await asyncio.wait_for(sim.connected.wait(), 10)
            port = ocpp_evses(central)["CS202-1"]
            await until(lambda: port.view().status.value == "AVAILABLE")

            visit = Visit("ev1", "CS202-1", CARD, 0, 3600, 5000, 60_000, 0.2, 16, 3)
            await sim.plug_in(visit)
            await until(lambda: port.view().status.value == "CHARGING")  # Occupied
            evse = sim.outlets["CS202-1"]
            started = await port.start(TOKEN, None, 5)  # RequestStartTransaction
            assert started.outcome is CommandOutcome.ACCEPTED
            await until(lambda: evse.tx is not None)  # it acted: Started, accepted
            assert evse.refused is None
            await until(lambda: port.view().session is not None)
            view = port.view().session
            assert view is not None
            assert view.token_uid == CARD
            running = evse.tx
            assert running is not None

            stopped = await port.stop(None, 5)  # RequestStopTransaction
            assert stopped.outcome is CommandOutcome.ACCEPTED
            assert sim.state.remote_stops == [running.transaction_id]
            await until(lambda: central.transaction_of("CS202", 1) is None)
            assert evse.tx is None

            await sim.show_card(visit)  # the driver's own card: Authorize, Started
            await until(lambda: central.transaction_of("CS202", 1) is not None)
            assert evse.tx is not None
            await sim.unplug(visit)  # Ended, EVDisconnected
            await until(lambda: central.transaction_of("CS202", 1) is None)
            await until(lambda: port.view().status.value == "AVAILABLE")
            assert [t["event"] for t in truth.lines] == ["plug_in", "card", "unplug"]
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
