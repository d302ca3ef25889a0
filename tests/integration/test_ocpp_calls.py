"""Our calls to a charger over a real websocket: one in flight, late answers dropped."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from edge.ocpp.calls.outgoing import (
    Answered,
    BadAnswer,
    CallFailed,
    NotConnected,
    TimedOut,
)
from hal_sim.ocpp.link import open_link
from tests.integration.ocpp_rig import central_system, section


async def _connected(srv, central):
    link = await open_link(srv.url("127.0.0.1", "CP002"), "CP002")
    # The connection is registered before its first frame is answered: one round trip.
    await link.send('[2,"hello","Heartbeat",{}]')
    await link.recv()
    return link, central.connections["CP002"].calls


async def _next_call(link) -> list:
    frame = json.loads(await link.recv())
    assert frame[0] == 2
    return frame


async def test_a_late_answer_is_never_taken_for_the_next_call(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="edge.ocpp")
    async with central_system(section(tmp_path)) as (central, srv):
        link, calls = await _connected(srv, central)

        first = await calls.call("GetLocalListVersion", {}, timeout_s=0.05)
        assert first == TimedOut(0.05, sent=True)
        late = await _next_call(link)  # the charger saw it, and answers too late

        second = asyncio.create_task(calls.call("GetLocalListVersion", {}, 30))
        now = await _next_call(link)
        assert now[1] != late[1]
        await link.send(json.dumps([3, late[1], {"listVersion": 1}]))  # while #2 waits
        await link.send(json.dumps([3, now[1], {"listVersion": 2}]))
        assert await second == Answered({"listVersion": 2})
        assert calls.discarded == 1
        await link.close()
    assert f"answer {late[1]} matches no call in flight" in caplog.text


async def test_one_call_in_flight_and_a_queued_call_times_out_unsent(tmp_path):
    async with central_system(section(tmp_path)) as (central, srv):
        link, calls = await _connected(srv, central)
        first = asyncio.create_task(calls.call("GetLocalListVersion", {}, 30))
        frame = await _next_call(link)
        queued = await calls.call(
            "ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}, 0.05
        )
        assert queued == TimedOut(0.05, sent=False)
        await link.send(json.dumps([3, frame[1], {"listVersion": 7}]))
        assert await first == Answered({"listVersion": 7})
        third = asyncio.create_task(
            calls.call(
                "ChangeAvailability", {"connectorId": 1, "type": "Operative"}, 30
            )
        )
        frame = await _next_call(link)  # the queued call was never sent: this is #3
        assert frame[2:] == [
            "ChangeAvailability",
            {"connectorId": 1, "type": "Operative"},
        ]
        await link.send(json.dumps([3, frame[1], {"status": "Accepted"}]))
        assert await third == Answered({"status": "Accepted"})
        await link.close()


async def test_callerror_bad_answer_and_closed_link(tmp_path):
    async with central_system(section(tmp_path)) as (central, srv):
        link, calls = await _connected(srv, central)
        pending = asyncio.create_task(calls.call("GetLocalListVersion", {}, 30))
        frame = await _next_call(link)
        await link.send(json.dumps([4, frame[1], "NotSupported", "no lists", {}]))
        assert await pending == CallFailed("NotSupported", "no lists")

        pending = asyncio.create_task(calls.call("GetLocalListVersion", {}, 30))
        frame = await _next_call(link)
        await link.send(json.dumps([3, frame[1], {"listVersion": "seven"}]))
        outcome = await pending
        assert isinstance(outcome, BadAnswer)
        assert outcome.violation.code == "TypeConstraintViolation"

        pending = asyncio.create_task(calls.call("GetLocalListVersion", {}, 30))
        await _next_call(link)
        await link.close()
        assert await pending == NotConnected()
        assert await calls.call("GetLocalListVersion", {}, 30) == NotConnected()


async def test_our_own_bad_payload_is_a_bug_raised_before_sending(tmp_path):
    async with central_system(section(tmp_path)) as (central, srv):
        link, calls = await _connected(srv, central)
        with pytest.raises(ValueError, match="connectorId"):
            await calls.call("ChangeAvailability", {"type": "Operative"}, 30)
        await link.close()


async def test_a_callers_own_cancellation_leaves_no_answer_for_the_next(tmp_path):
    async with central_system(section(tmp_path)) as (central, srv):
        link, calls = await _connected(srv, central)
        caller = asyncio.create_task(calls.call("GetLocalListVersion", {}, 30))
        abandoned = await _next_call(link)
        caller.cancel()  # the caller gave up (its own shorter timeout), not we
        with pytest.raises(asyncio.CancelledError):
            await caller
        nxt = asyncio.create_task(calls.call("GetLocalListVersion", {}, 30))
        frame = await _next_call(link)
        await link.send(json.dumps([3, abandoned[1], {"listVersion": 1}]))
        await link.send(json.dumps([3, frame[1], {"listVersion": 2}]))
        assert await nxt == Answered({"listVersion": 2})
        assert calls.discarded == 1
        await link.close()
