"""Charging profiles over a real websocket: failsafe, lease, limits, reinstall.

The central system as a service (real SQLite, the authorizer) against hal_sim's
1.6J charge point, which honours its profiles as a charger does (composite of
ChargePointMaxProfile and Tx(Default)Profile by stack level and validity).
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest

from edge.auth.authorizer import Authorizer
from edge.model.clock import ScaledClock
from edge.model.commands import CommandOutcome
from edge.ocpp.calls.profiles import (
    ClearStatus,
    CompositeSchedule,
    ProfileCalls,
    ProfilePurpose,
)
from edge.ocpp.evse import ocpp_evses
from edge.ocpp.service import OcppService
from edge.store.db import Database
from hal_sim.ocpp.charge_point import ChargerState, SimChargePoint
from hal_sim.ocpp.link import open_link
from tests.integration.ocpp_rig import CARD, TOKENS, section

LEASE_S = 30


def _clock() -> ScaledClock:
    return ScaledClock(speed=60.0, start=datetime(2026, 3, 2, 8, tzinfo=UTC))


def _cfg(tmp_path):
    cfg = section(tmp_path, profile_lease_s=LEASE_S)
    chargers = [
        c.model_copy(update={"failsafe_current_a": 8.0}) if c.identity == "CP002" else c
        for c in cfg.charger
    ]
    return cfg.model_copy(update={"charger": chargers})


@asynccontextmanager
async def _controller(tmp_path, clock):
    db = await Database.open(tmp_path / "edge.db")
    auth = Authorizer(db, clock, TOKENS)
    await auth.start()
    service = OcppService(_cfg(tmp_path), clock, db, auth)
    ports = ocpp_evses(service.central, profiles=service.profiles)
    bound: asyncio.Future = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(service.run(bound.set_result))
    srv = await bound
    try:
        yield service, ports, srv
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await db.close()


async def _charger(srv, clock, state=None):
    link = await open_link(srv.url("127.0.0.1", "CP002"), "CP002")
    cp = SimChargePoint("CP002", link, clock, state=state)
    return cp, asyncio.create_task(cp.run())


async def _until(condition, what: str) -> None:
    for _ in range(3000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never: {what}")


def _limit(cp, clock):
    return cp.state.profiles.limit_a(1, clock.utcnow())


def _purposes(cp):
    return [(c, p["charging_profile_purpose"]) for c, p in cp.state.profiles.received]


async def test_a_dead_controller_leaves_the_charger_at_its_failsafe(tmp_path):
    clock = _clock()
    async with _controller(tmp_path, clock) as (service, _ports, srv):
        cp, run = await _charger(srv, clock)
        await cp.boot()
        await _until(lambda: len(cp.state.profiles.held) == 2, "failsafe and lease")
        assert _limit(cp, clock) == 32.0  # the lease lifts it to the charger's max
        held = {p.stack_level: p for p in cp.state.profiles.held.values()}
        assert (held[0].limit_at(clock.utcnow(), None), held[0].valid_to) == (
            8.0,
            None,
        )
        # Alive for three leases: renewed all along, never at the failsafe.
        until = clock.monotonic() + 3 * LEASE_S
        while clock.monotonic() < until:
            assert _limit(cp, clock) == 32.0
            await asyncio.sleep(0.02)
        assert len(cp.state.profiles.received) >= 2 + 6
        assert service.profiles.installs["CP002"].lease.value == "Accepted"
    await run  # the controller is gone; the charger keeps its profiles
    died = clock.monotonic()
    await _until(lambda: _limit(cp, clock) == 8.0, "the failsafe")
    assert clock.monotonic() - died <= LEASE_S + 5


async def test_a_current_limit_is_a_profile_the_charger_answers(tmp_path):
    clock = _clock()
    async with _controller(tmp_path, clock) as (service, ports, srv):
        cp, run = await _charger(srv, clock)
        await cp.boot()
        await _until(lambda: len(cp.state.profiles.held) == 2, "installed")
        port = ports["CP002-1"]

        result = await port.set_current_limit(10.0, 30)
        assert result.outcome is CommandOutcome.ACCEPTED
        assert _purposes(cp)[-1] == (1, "TxDefaultProfile")  # no transaction yet
        assert _limit(cp, clock) == 10.0
        calls = ProfileCalls(service.central.connections["CP002"].calls)
        composite = await calls.composite_schedule(1, 600, 30)
        assert isinstance(composite, CompositeSchedule)
        assert composite.limit_now() == 10.0

        started = await cp.start_transaction(1, CARD, 1_000)
        cp.state.profiles.has_transaction = lambda c: (
            started.transaction_id if c == 1 else None
        )
        assert (await port.set_current_limit(16.0, 30)).outcome is (
            CommandOutcome.ACCEPTED
        )
        connector, sent = cp.state.profiles.received[-1]
        assert (connector, sent["charging_profile_purpose"]) == (1, "TxProfile")
        assert sent["transaction_id"] == started.transaction_id
        assert sent["charging_schedule"]["charging_schedule_period"] == [
            {"start_period": 0, "limit": 16.0}
        ]
        assert _limit(cp, clock) == 16.0

        count = len(cp.state.profiles.received)
        out_of_range = await port.set_current_limit(5.0, 30)
        assert out_of_range.outcome is CommandOutcome.REJECTED
        assert "outside 6 .. 32 A" in out_of_range.message
        assert len(cp.state.profiles.received) == count  # nothing sent

        cp.state.profiles.answer = "Rejected"
        refused = await port.set_current_limit(12.0, 30)
        assert refused.outcome is CommandOutcome.REJECTED
        assert "rejected the charging profile" in refused.message
        cp.state.profiles.answer = None

        cleared = await calls.clear_profile(
            30, connector_id=1, purpose=ProfilePurpose.TX
        )
        assert cleared is ClearStatus.ACCEPTED
        assert _limit(cp, clock) == 10.0  # the TxDefaultProfile under it
        assert await calls.clear_profile(30, profile_id=999) is ClearStatus.UNKNOWN

        cp.hold_answers()
        late = await port.set_current_limit(20.0, 0.5)
        assert late.outcome is CommandOutcome.TIMEOUT
        cp.release_answers()
        await cp.link.close()
        await run
    not_connected = await port.set_current_limit(20.0, 30)
    assert not_connected.outcome is CommandOutcome.FAILED


async def test_profiles_are_reinstalled_after_a_reconnect(tmp_path):
    clock = _clock()
    async with _controller(tmp_path, clock) as (_service, ports, srv):
        cp, run = await _charger(srv, clock)
        await cp.boot()
        await _until(lambda: len(cp.state.profiles.held) == 2, "installed")
        assert (await ports["CP002-1"].set_current_limit(11.0, 30)).outcome is (
            CommandOutcome.ACCEPTED
        )
        await cp.link.close()
        await run

        # It rebooted and lost every profile (go-eCharger #217).
        fresh = ChargerState()
        again, run = await _charger(srv, clock, fresh)
        await again.boot()
        await _until(lambda: len(fresh.profiles.held) == 3, "reinstalled")
        assert _purposes(again) == [
            (0, "ChargePointMaxProfile"),
            (0, "ChargePointMaxProfile"),
            (1, "TxDefaultProfile"),
        ]
        assert _limit(again, clock) == 11.0
        await again.link.close()
        await run


async def test_a_charger_refusing_profiles_is_told_once(tmp_path, caplog):
    clock = _clock()
    async with _controller(tmp_path, clock) as (service, _ports, srv):
        state = ChargerState()
        state.profiles.answer = "NotSupported"
        cp, run = await _charger(srv, clock, state)
        await cp.boot()
        await _until(lambda: "CP002" in service.profiles.installs, "the install")
        await asyncio.sleep(0.2 * 3)  # 36 site seconds: past a renewal's time
        assert len(state.profiles.received) == 2  # failsafe and lease, no renewal
        assert "charging profiles not installed (failsafe: NotSupported" in caplog.text
        await cp.link.close()
        await run
