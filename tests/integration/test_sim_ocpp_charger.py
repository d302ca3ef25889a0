"""hal_sim's simulated OCPP charger (edge sim's) against the central system."""

from __future__ import annotations

from edge.model.commands import CommandOutcome, CommandToken
from hal_sim.ocpp.sim_charger import SimOcppCharger
from hal_sim.schedule import Visit
from tests.integration.ocpi_rig import until
from tests.integration.ocpp_rig import CARD, section, sim_at_central

TOKEN = CommandToken(CARD, "RFID", "NL-EXA-C1", "NL", "EXA")


async def test_it_boots_reports_and_acts_on_a_remote_start(tmp_path):
    async with sim_at_central(section(tmp_path), "CP002", SimOcppCharger) as at:
        sim, central, port = at.sim, at.central, at.port
        assert central.status["CP002"].online

        visit = Visit("ev1", "CP002-1", None, 0, 3600, 5000, 60_000, 0.2, 16, 3)
        await sim.plug_in(visit)
        await until(lambda: port.view().status.value == "CHARGING")  # Preparing
        started = await port.start(TOKEN, None, 5)
        assert started.outcome is CommandOutcome.ACCEPTED
        [call] = sim.cp.state.remote.calls("RemoteStartTransaction")
        assert call.payload["id_tag"] == CARD
        outlet = sim.outlets["CP002-1"]
        # the charger went on to StartTransaction for the remote idTag
        await until(lambda: outlet.transaction_id is not None)
        assert outlet.id_tag == CARD
        assert outlet.refused is None
        running = outlet.transaction_id
        # and the central system's RemoteStop stops it
        stopped = await port.stop(None, 5)
        assert stopped.outcome is CommandOutcome.ACCEPTED
        [stop] = sim.cp.state.remote.calls("RemoteStopTransaction")
        assert stop.payload == {"transaction_id": running}
        # the charger sent StopTransaction: the site follows it no more
        await until(lambda: central.transaction_of("CP002", 1) is None)
        assert outlet.transaction_id is None

        await sim.unplug(visit)
        await until(lambda: port.view().status.value == "AVAILABLE")
        events = [t["event"] for t in at.truth.lines]
        assert events[0] == "plug_in"
        assert events[-1] == "unplug"
