"""Malformed answers and broken connections: a clear reason, a retry or a dead letter,
never a crash or a lost object."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from edge.store import outbox
from edge.store.db import transaction
from hal_sim.backoffice.faults import Fault
from tests.integration.ocpi_rig import rig, until

KEY = ("NL", "EXA", "S1")


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (Fault.NOT_JSON, "the body is not JSON"),
        (Fault.WRONG_ENVELOPE, "no OCPI envelope"),
        (Fault.HTTP_500, "HTTP 500"),
        (Fault.STATUS_3000, "OCPI 3000 (generic server error)"),
        (Fault.TIMEOUT, "timeout"),
    ],
)
async def test_bad_answer_is_logged_and_retried(tmp_path: Path, caplog, fault, reason):
    caplog.set_level(logging.INFO, logger="edge.uplink")
    # request_timeout_s is wall time (a peer's answer takes real time): the
    # spoiled answers must come within it, and only the TIMEOUT fault's hang
    # must outlast it. 0.5 s was within a scheduler stall of a busy machine
    # (a wrong envelope came as a timeout under load); 4 s leaves a loopback
    # answer eight times that, and the hang outlasts the timeout by 4 s more.
    async with rig(tmp_path, section={"request_timeout_s": 4.0}) as r:
        await r.drained()
        r.bo.faults.hang_s = 8.0
        r.bo.faults.inject(fault, module="sessions")
        await r.start_session("S1", "E1")
        r.uplink.sender.kick.set()
        await until(lambda: KEY in r.bo.state.sessions, timeout=30.0)
        await r.drained()
        assert r.task is not None
        assert not r.task.done()
        # the spoiled answer came from in front of the eMSP: one PUT reached it
        assert [x.method for x in r.bo.state.received("sessions", "S1")] == ["PUT"]
        assert r.uplink.sender.stats.retried == 1
        warnings = [
            x.getMessage()
            for x in caplog.records
            if x.levelno >= logging.WARNING and "uplink down" in x.getMessage()
        ]
        assert len(warnings) == 1
        assert reason in warnings[0]
        assert "sessions/NL/EXA/S1" in warnings[0]  # which request


async def test_2001_makes_a_dead_letter_with_the_reason_until_requeued(tmp_path: Path):
    async with rig(tmp_path) as r:
        await r.drained()
        r.bo.faults.inject(Fault.STATUS_2001, module="sessions")
        await r.start_session("S1", "E1")
        r.uplink.sender.kick.set()
        await until(lambda: r.uplink.sender.stats.dead == 1)
        st = await r.backlog()
        [dead] = st.dead_letters
        assert dead.key == "sessions:S1"
        assert "OCPI 2001 (invalid or missing parameters)" in (dead.last_error or "")
        assert "injected status_2001" in (dead.last_error or "")
        assert KEY not in r.bo.state.sessions
        # the operator fixes the cause and requeues: nothing was lost
        now = r.clock.utcnow()

        def requeue(db):
            with transaction(db) as conn:
                return outbox.requeue_dead(conn, now)

        assert await r.db.run(requeue) == 1
        r.uplink.sender.kick.set()
        await until(lambda: KEY in r.bo.state.sessions)
        await r.drained()
        assert (await r.backlog()).dead_letters == []


async def test_dropped_connections_lose_answers_not_objects(tmp_path: Path):
    async with rig(tmp_path, section={"session_patch_interval_s": 0.0}) as r:
        await r.drained()
        assert r.bo.link is not None
        sender = r.uplink.sender
        sent_before, retried_before = sender.stats.requests, sender.stats.retried
        seen_before = len(r.bo.state.log)
        r.bo.link.drop_next(3)  # processed, but the answers never come back
        await r.start_session("S1", "E1")
        await r.progress("S1", "E1", 4000)
        await r.stop_session("S1", "E1")
        sender.kick.set()
        await r.drained()
        assert r.bo.link.dropped == 3
        assert r.bo.state.sessions[KEY]["status"] == "COMPLETED"
        assert list(r.bo.state.cdrs) == [KEY]
        assert r.bo.state.rejected() == [
            x for x in r.bo.state.log if "already exists" in (x.message or "")
        ]
        # every request the sender made arrived once, and each lost answer cost
        # exactly one re-send: nothing sent twice for any other reason
        pushed = [
            x
            for x in r.bo.state.log[seen_before:]
            if x.module in ("locations", "sessions", "cdrs")
        ]
        assert len(pushed) == sender.stats.requests - sent_before
        assert sender.stats.retried - retried_before == 3
        posts = r.bo.state.received("cdrs", "S1")
        assert [x.accepted for x in posts][:1] == [True]
        assert len(posts) <= 2  # a second POST only if the CDR's answer was lost
