"""An OCPP charger's connectors as EVSE ports, fed over a real websocket."""

from __future__ import annotations

from edge.evse.port import EvseKind
from edge.evse.states import EvseStatus, Phase
from edge.model.commands import CommandOutcome, CommandToken
from edge.ocpp.evse import ocpp_evses
from tests.integration.ocpp_rig import central_system, charge_point, section

TOKEN = CommandToken("04A1B2C3", "RFID", "NL-EXA-C1", "NL", "EXA")


async def test_connectors_show_what_the_charger_reports(tmp_path):
    async with central_system(section(tmp_path)) as (central, srv):
        ports = ocpp_evses(central)
        assert set(ports) == {"CP001-1", "CP001-2", "CP002-1"}
        one, two = ports["CP001-1"], ports["CP001-2"]
        assert one.identity.kind is EvseKind.OCPP
        assert [c.id for c in two.identity.connectors] == ["2"]
        assert one.identity.max_current_a == 32.0
        assert one.view().status is EvseStatus.UNKNOWN
        seen: list[str] = []
        two.on_change(seen.append)

        cp, run = await charge_point(srv, "CP001")
        await cp.boot()
        await cp.status(1, "Charging")
        await cp.status(2, "SuspendedEV")
        assert (one.view().phase, one.view().status) == (
            Phase.CHARGING,
            EvseStatus.CHARGING,
        )
        assert two.view().phase is Phase.SUSPENDED_EV
        assert set(seen) == {"CP001-2"}
        assert len(seen) == 2  # online, then its own status; not connector 1's
        await cp.status(1, "SuspendedEVSE")  # the charger holds back (0 A profile)
        assert (one.view().phase, one.view().status) == (
            Phase.SUSPENDED_EVSE,
            EvseStatus.CHARGING,
        )

        result = await one.start(TOKEN, None, 10)  # RemoteStartTransaction
        assert result.outcome is CommandOutcome.ACCEPTED
        assert (
            await one.set_current_limit(10, 10)
        ).outcome is CommandOutcome.NOT_SUPPORTED
        stopped = await one.stop(None, 10)  # no transaction runs on it
        assert stopped.outcome is CommandOutcome.FAILED
        assert "charger CP001" in stopped.message
        await cp.link.close()
        await run
    assert one.view().status is EvseStatus.UNKNOWN
    assert len(seen) == 3  # and offline
