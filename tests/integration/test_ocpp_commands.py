"""Our 1.6J commands to a charger, typed, over a real websocket (hal_sim's charger).

RemoteStart/StopTransaction and UnlockConnector through the connector's EVSE
port (what OCPI and MQTT commands call), and ChangeAvailability, Reset,
GetConfiguration, ChangeConfiguration and TriggerMessage as typed calls: each
answered within its timeout, a charger that is away or silent a clear result.
"""

from __future__ import annotations

from edge.model.commands import CommandOutcome, CommandToken
from edge.ocpp.calls import v16
from edge.ocpp.calls.outgoing import CallFailed, NotConnected, TimedOut
from edge.ocpp.evse import ocpp_evses
from tests.integration.ocpp_rig import (
    booted_charge_point,
    central_system,
    section,
)

TOKEN = CommandToken("APP-USER-0042", "APP_USER", "BE-EMS-C00000042-Z", "BE", "EMS")


async def test_remote_start_stop_and_unlock_through_the_evse_port(tmp_path):
    async with central_system(section(tmp_path)) as (central, srv):
        running = {("CP001", 2): 4711}
        ports = ocpp_evses(central, lambda cp, conn: running.get((cp, conn)))
        port = ports["CP001-2"]
        assert port.identity.evse_id is None

        # away: a clear result, nothing raised
        away = await port.start(TOKEN, None, 5)
        assert away.outcome is CommandOutcome.FAILED
        assert "CP001 is not connected" in away.message

        cp, run = await booted_charge_point(srv, central, "CP001")
        remote = cp.state.remote
        started = await port.start(TOKEN, "REF-1", 5)
        assert started.outcome is CommandOutcome.ACCEPTED
        [call] = remote.calls("RemoteStartTransaction")
        assert call.payload == {"id_tag": "APP-USER-0042", "connector_id": 2}

        stopped = await port.stop(None, 5)
        assert stopped.outcome is CommandOutcome.ACCEPTED
        assert remote.calls("RemoteStopTransaction")[0].payload == {
            "transaction_id": 4711
        }
        idle = await ports["CP001-1"].stop(None, 5)  # nothing runs on connector 1
        assert idle.outcome is CommandOutcome.FAILED
        assert "no transaction" in idle.message
        assert len(remote.calls("RemoteStopTransaction")) == 1

        unlocked = await port.unlock(5)
        assert unlocked.outcome is CommandOutcome.ACCEPTED
        assert remote.calls("UnlockConnector")[0].payload == {"connector_id": 2}

        remote.statuses["RemoteStartTransaction"] = "Rejected"
        remote.statuses["UnlockConnector"] = "UnlockFailed"
        refused = await port.start(TOKEN, None, 5)
        assert refused.outcome is CommandOutcome.REJECTED
        assert "rejected RemoteStartTransaction" in refused.message
        assert (await port.unlock(5)).outcome is CommandOutcome.FAILED
        remote.statuses["UnlockConnector"] = "NotSupported"
        assert (await port.unlock(5)).outcome is CommandOutcome.NOT_SUPPORTED

        # a token uid OCPP 1.6 cannot carry: refused before anything is sent
        long = CommandToken("X" * 21, "APP_USER", "C", "BE", "EMS")
        too_long = await port.start(long, None, 5)
        assert too_long.outcome is CommandOutcome.REJECTED
        assert "1 to 20" in too_long.message
        assert len(remote.calls("RemoteStartTransaction")) == 2

        # silent: TIMEOUT within the command's own time limit
        cp.hold_answers()
        silent = await port.start(TOKEN, None, 0.05)
        assert silent.outcome is CommandOutcome.TIMEOUT
        assert "did not answer RemoteStartTransaction within 0.05 s" in silent.message
        cp.release_answers()

        await cp.link.close()
        await run


async def test_the_typed_operation_and_configuration_calls(tmp_path):
    async with central_system(section(tmp_path)) as (central, srv):
        cp, run = await booted_charge_point(srv, central)
        calls = v16.V16Calls(central.connections["CP002"].calls)
        remote = cp.state.remote

        assert await calls.reset(v16.ResetType.SOFT, 5) is v16.ResetStatus.ACCEPTED
        assert remote.calls("Reset")[0].payload == {"type": "Soft"}
        remote.statuses["Reset"] = "Rejected"
        assert await calls.reset(v16.ResetType.HARD, 5) is v16.ResetStatus.REJECTED

        inoperative = await calls.change_availability(
            0, v16.AvailabilityType.INOPERATIVE, 5
        )
        assert inoperative is v16.AvailabilityStatus.ACCEPTED
        assert cp.state.inoperative == {0}

        trigger = await calls.trigger_message(
            v16.MessageTrigger.STATUS_NOTIFICATION, 1, 5
        )
        assert trigger is v16.TriggerStatus.ACCEPTED
        assert remote.calls("TriggerMessage")[0].payload == {
            "requested_message": "StatusNotification",
            "connector_id": 1,
        }

        everything = await calls.get_configuration(None, 5)
        assert isinstance(everything, v16.Configuration)
        assert everything.value("HeartbeatInterval") == "300"
        assert everything.unknown == ()
        some = await calls.get_configuration(["NumberOfConnectors", "NoSuchKey"], 5)
        assert isinstance(some, v16.Configuration)
        assert some.keys == (v16.ConfigurationKey("NumberOfConnectors", True, "1"),)
        assert some.unknown == ("NoSuchKey",)

        changed = await calls.change_configuration("HeartbeatInterval", "120", 5)
        assert changed is v16.ConfigurationStatus.ACCEPTED
        assert remote.configuration["HeartbeatInterval"].value == "120"
        readonly = await calls.change_configuration("NumberOfConnectors", "2", 5)
        assert readonly is v16.ConfigurationStatus.REJECTED
        unknown = await calls.change_configuration("NoSuchKey", "1", 5)
        assert unknown is v16.ConfigurationStatus.NOT_SUPPORTED
        not_sent = await calls.change_configuration("K" * 51, "1", 5)
        assert isinstance(not_sent, v16.NotSendable)

        cp.hold_answers()
        late = await calls.get_configuration(None, 0.05)
        assert late == TimedOut(0.05, sent=True)
        cp.release_answers()

        await cp.link.close()
        await run
        assert await calls.reset(v16.ResetType.SOFT, 5) == NotConnected()


async def test_a_charger_without_the_action_says_so(tmp_path):
    async with central_system(section(tmp_path)) as (central, srv):
        cp, run = await booted_charge_point(srv, central)
        # the charger's stack knows no UnlockConnector: its CALLERROR is the answer
        del cp._cp.route_map["UnlockConnector"]
        port = ocpp_evses(central)["CP002-1"]
        result = await port.unlock(5)
        assert result.outcome is CommandOutcome.NOT_SUPPORTED
        assert "UnlockConnector with NotImplemented" in result.message
        calls = v16.V16Calls(central.connections["CP002"].calls)
        answer = await calls.unlock_connector(1, 5)
        assert isinstance(answer, CallFailed)
        await cp.link.close()
        await run


async def test_a_201_charger_is_not_sent_16_commands(tmp_path):
    charger = {
        "identity": "CS201",
        "protocol": "ocpp2.0.1",
        "connector": [{"id": 1, "evse_uid": "CS201-1"}],
    }
    cfg = section(tmp_path)
    cfg = cfg.model_copy(
        update={"charger": [*cfg.charger, type(cfg.charger[0])(**charger)]}
    )
    async with central_system(cfg) as (central, _):
        port = ocpp_evses(central)["CS201-1"]
        result = await port.start(TOKEN, None, 5)  # RequestStartTransaction
        assert result.outcome is CommandOutcome.FAILED
        assert "not connected" in result.message
        assert (await port.unlock(5)).outcome is CommandOutcome.FAILED  # away
