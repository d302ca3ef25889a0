"""2.0.1 charging profiles over a real websocket: failsafe, lease, limits, reinstall.

The same worker as 1.6's (test_ocpp_profiles.py) against hal_sim's 2.0.1
station, which honours its profiles (the 1.6 charger's composite, fed 2.0.1's
ChargingStationMaxProfile on EVSE 0 and Tx(Default)Profiles on an EVSE): a
permanent failsafe under a lease the living controller renews, the station
back at the failsafe within a lease once the controller is gone; the load
manager's set_current_limit a TxDefaultProfile, or a TxProfile naming the
station's own transactionId; all of it reinstalled after a reboot.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest

from edge.auth.authorizer import Authorizer
from edge.model.clock import ScaledClock
from edge.model.commands import CommandOutcome
from edge.ocpp.evse import ocpp_evses
from edge.ocpp.service import OcppService
from edge.store.db import Database
from hal_sim.ocpp.charge_point_201 import SimChargingStation
from hal_sim.ocpp.link import open_link
from tests.integration.ocpp201_rig import mixed
from tests.integration.ocpp_rig import CARD, TOKENS

LEASE_S = 30


def _clock() -> ScaledClock:
    return ScaledClock(speed=60.0, start=datetime(2026, 3, 2, 8, tzinfo=UTC))


def _cfg():
    cfg = mixed().model_copy(update={"profile_lease_s": LEASE_S})
    chargers = [
        c.model_copy(update={"failsafe_current_a": 8.0}) if c.identity == "CS202" else c
        for c in cfg.charger
    ]
    return cfg.model_copy(update={"charger": chargers})


@asynccontextmanager
async def _controller(tmp_path, clock):
    db = await Database.open(tmp_path / "edge.db")
    auth = Authorizer(db, clock, TOKENS)
    await auth.start()
    service = OcppService(_cfg(), clock, db, auth)
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


async def _station(srv, clock):
    link = await open_link(
        srv.url("127.0.0.1", "CS202"), "CS202", subprotocols=("ocpp2.0.1",)
    )
    cs = SimChargingStation("CS202", link, clock)
    return cs, asyncio.create_task(cs.run())


async def _until(condition, what: str) -> None:
    for _ in range(3000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never: {what}")


def _limit(cs, clock):
    return cs.state.profiles.limit_a(1, clock.utcnow())


def _purposes(cs):
    return [(e, p["charging_profile_purpose"]) for e, p in cs.state.profiles_received]


async def test_a_dead_controller_leaves_the_station_at_its_failsafe(tmp_path):
    clock = _clock()
    async with _controller(tmp_path, clock) as (service, _ports, srv):
        cs, run = await _station(srv, clock)
        await cs.boot()
        await _until(lambda: len(cs.state.profiles.held) == 2, "failsafe and lease")
        assert _purposes(cs) == [(0, "ChargingStationMaxProfile")] * 2
        assert _limit(cs, clock) == 32.0  # the lease lifts it to the EVSE's max
        levels = {p.stack_level: p for p in cs.state.profiles.held.values()}
        assert levels[0].limit_at(clock.utcnow(), None) == 8.0
        assert levels[0].valid_to is None
        assert levels[1].valid_to is not None  # the lease ends unless renewed
        until = clock.monotonic() + 1.5 * LEASE_S  # alive past a lease: renewed
        while clock.monotonic() < until:
            assert _limit(cs, clock) == 32.0
            await asyncio.sleep(0.02)
        assert len(cs.state.profiles_received) >= 2 + 3
        assert service.profiles.installs["CS202"].lease.value == "Accepted"
    await run  # the controller is gone; the station keeps its profiles
    died = clock.monotonic()
    await _until(lambda: _limit(cs, clock) == 8.0, "the failsafe")
    assert clock.monotonic() - died <= LEASE_S + 5


async def test_limits_are_tx_profiles_and_reinstalled_after_a_reboot(tmp_path):
    clock = _clock()
    async with _controller(tmp_path, clock) as (_service, ports, srv):
        cs, run = await _station(srv, clock)
        await cs.boot()
        await _until(lambda: len(cs.state.profiles.held) == 2, "installed")
        port = ports["CS202-1"]
        assert (await port.set_current_limit(10.0, 30)).outcome is (
            CommandOutcome.ACCEPTED
        )
        assert _purposes(cs)[-1] == (1, "TxDefaultProfile")  # no transaction yet
        assert _limit(cs, clock) == 10.0

        tx = await cs.start_transaction(1, CARD, 1_000.0)
        result = await port.set_current_limit(16.0, 30)
        assert result.outcome is CommandOutcome.ACCEPTED
        evse, sent = cs.state.profiles_received[-1]
        assert (evse, sent["charging_profile_purpose"]) == (1, "TxProfile")
        assert sent["transaction_id"] == tx.transaction_id  # the station's own id
        assert sent["charging_schedule"][0]["charging_schedule_period"] == [
            {"start_period": 0, "limit": 16.0}
        ]
        assert _limit(cs, clock) == 16.0
        cs.state.running.pop(tx.transaction_id)  # the station forgot it
        forgot = await port.set_current_limit(12.0, 30)
        assert forgot.outcome is CommandOutcome.REJECTED  # a TxProfile of no tx
        assert "rejected the charging profile" in forgot.message
        await cs.link.close()
        await run

        fresh, run = await _station(srv, clock)  # rebooted: lost every profile
        fresh.state.running[tx.transaction_id] = tx  # (its transaction kept)
        await fresh.boot()
        await _until(lambda: len(fresh.state.profiles.held) == 3, "reinstalled")
        assert _purposes(fresh) == [
            (0, "ChargingStationMaxProfile"),
            (0, "ChargingStationMaxProfile"),
            (1, "TxProfile"),  # our transaction still runs on EVSE 1
        ]
        assert fresh.state.profiles_received[-1][1]["transaction_id"] == (
            tx.transaction_id
        )
        assert _limit(fresh, clock) == 12.0  # the last limit asked for
        await fresh.link.close()
        await run
