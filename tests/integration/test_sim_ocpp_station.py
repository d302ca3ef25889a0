"""hal_sim's simulated 2.0.1 station (edge sim's) against the central system."""

from __future__ import annotations

from edge.model.commands import CommandOutcome, CommandToken
from hal_sim.ocpp.sim_station_201 import SimOcppStation
from hal_sim.schedule import Visit
from tests.integration.ocpi_rig import until
from tests.integration.ocpp201_rig import mixed
from tests.integration.ocpp_rig import CARD, sim_at_central

TOKEN = CommandToken(CARD, "RFID", "NL-EXA-C1", "NL", "EXA")


async def test_it_boots_charges_and_acts_on_request_start_and_stop():
    async with sim_at_central(mixed(), "CS202", SimOcppStation) as at:
        sim, central, port = at.sim, at.central, at.port
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
        assert [t["event"] for t in at.truth.lines] == ["plug_in", "card", "unplug"]
