"""Our 2.0.1 commands to a station, typed, over a real websocket (hal_sim's station).

GetVariables, SetVariables, RequestStartTransaction and RequestStopTransaction,
each checked against the 2.0.1 schemas both ways; a request that cannot fit
them is refused before it is sent; a station that is away is a clear result.
(The EVSE port's start and stop through them: test_ocpp_v201_port.py.)
"""

from __future__ import annotations

from edge.ocpp.calls.outgoing import NotConnected
from edge.ocpp.calls.v16 import NotSendable
from edge.ocpp.calls.v201 import (
    GetVariableStatus,
    GotVariable,
    IdTokenKind,
    RequestStartStopStatus,
    SetResult,
    SetVariableStatus,
    StartAnswer,
    V201Calls,
    Variable,
)
from hal_sim.ocpp.charge_point_201 import Transaction
from tests.integration.ocpp201_rig import booted, mixed
from tests.integration.ocpp_rig import CARD, central_system

HEARTBEAT = Variable("OCPPCommCtrlr", "HeartbeatInterval")
IDENTITY = Variable("SecurityCtrlr", "Identity")
NOPE = Variable("Nope", "Nothing", evse_id=1)


async def test_get_and_set_variables():
    async with central_system(mixed()) as (central, srv):
        cs, run = await booted(srv, central)
        calls = V201Calls(central.connections["CS201"].calls)
        got = await calls.get_variables([HEARTBEAT, NOPE], 5)
        assert got == (
            GotVariable(HEARTBEAT, GetVariableStatus.ACCEPTED, "300"),
            GotVariable(NOPE, GetVariableStatus.UNKNOWN_COMPONENT, None),
        )
        done = await calls.set_variables([(HEARTBEAT, "60"), (IDENTITY, "x")], 5)
        assert done == (
            SetResult(HEARTBEAT, SetVariableStatus.ACCEPTED),
            SetResult(IDENTITY, SetVariableStatus.REJECTED),
        )
        assert cs.state.variables[("OCPPCommCtrlr", "HeartbeatInterval")] == "60"
        again = await calls.get_variables([HEARTBEAT], 5)
        assert isinstance(again, tuple)
        assert again[0].value == "60"

        long = Variable("C" * 51, "V")
        assert isinstance(await calls.get_variables([long], 5), NotSendable)
        assert isinstance(await calls.get_variables([], 5), NotSendable)
        huge = await calls.set_variables([(HEARTBEAT, "9" * 1001)], 5)
        assert isinstance(huge, NotSendable)
        assert cs.state.variables[("OCPPCommCtrlr", "HeartbeatInterval")] == "60"
        await cs.link.close()
        await run
        assert await calls.get_variables([HEARTBEAT], 5) == NotConnected()


async def test_request_start_and_stop():
    async with central_system(mixed()) as (central, srv):
        cs, run = await booted(srv, central)
        calls = V201Calls(central.connections["CS201"].calls)
        started = await calls.request_start(CARD, IdTokenKind.ISO14443, 17, 2, 5)
        assert started == StartAnswer(RequestStartStopStatus.ACCEPTED, None)
        assert cs.state.remote_starts == [(17, CARD, 2)]

        tx = Transaction("tx-0001", 2)  # running at the station
        cs.state.running[tx.transaction_id] = tx
        stop = await calls.request_stop(tx.transaction_id, 5)
        assert stop is RequestStartStopStatus.ACCEPTED
        assert cs.state.remote_stops == [tx.transaction_id]
        unknown = await calls.request_stop("not-running", 5)
        assert unknown is RequestStartStopStatus.REJECTED

        long = await calls.request_start("X" * 37, IdTokenKind.CENTRAL, 18, None, 5)
        assert isinstance(long, NotSendable)
        assert len(cs.state.remote_starts) == 1
        await cs.link.close()
        await run
