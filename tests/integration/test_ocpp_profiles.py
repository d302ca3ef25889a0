"""Charging profiles over a real websocket: failsafe, lease, limits, reinstall.

The central system as a service (real SQLite, the authorizer) against
hal_sim's 1.6J charge point and 2.0.1 station, each honouring its profiles as
a charger does (a composite of the whole charger's max profile,
ChargePointMaxProfile or ChargingStationMaxProfile, and Tx(Default)Profiles by
stack level and validity): a permanent failsafe under a lease the living
controller renews, the charger back at its failsafe within a lease once the
controller is gone; the load manager's set_current_limit a TxDefaultProfile,
or a TxProfile naming the charger's transaction; all of it reinstalled after
a reboot. Said once for both versions where they agree (``v``), apart where
they differ.
"""

from __future__ import annotations

import asyncio

from edge.model.commands import CommandOutcome
from edge.ocpp.calls.profiles import (
    ClearStatus,
    CompositeSchedule,
    ProfileCalls,
    ProfilePurpose,
)
from tests.integration.ocpp_rig import CARD
from tests.integration.ocpp_twin_rig import (
    FAILSAFE_A,
    V16,
    V201,
    VERSIONS,
    clock,
    controller,
    twins,
    until,
)

LEASE_S = 30


def _site(tmp_path):
    return twins(tmp_path, profile_lease_s=LEASE_S), clock(60.0)


def _limit(cp, site_clock):
    return cp.state.profiles.limit_a(1, site_clock.utcnow())


def _on_1(v, cp):
    """Every profile sent for connector/EVSE 1 (the lease's renewals left out)."""
    return [p for c, p in v.sent(cp) if c == 1]


async def _installed(ctl, v, charger=None):
    """``v``'s charger booted, its failsafe and lease installed."""
    cp, run = await ctl.connect(v, charger=charger)
    await cp.boot()
    await until(lambda: len(cp.state.profiles.held) == 2, "failsafe and lease")
    return cp, run


@VERSIONS
async def test_a_dead_controller_leaves_the_charger_at_its_failsafe(tmp_path, v):
    cfg, site_clock = _site(tmp_path)
    async with controller(tmp_path, cfg, site_clock) as ctl:
        cp, run = await _installed(ctl, v)
        assert v.purposes(cp) == [(0, v.max_profile)] * 2
        assert _limit(cp, site_clock) == 32.0  # the lease lifts it to the max
        levels = {p.stack_level: p for p in cp.state.profiles.held.values()}
        assert levels[0].limit_at(site_clock.utcnow(), None) == FAILSAFE_A
        assert levels[0].valid_to is None
        assert levels[1].valid_to is not None  # the lease ends unless renewed
        until_s = site_clock.monotonic() + 1.5 * LEASE_S  # alive past a lease:
        while site_clock.monotonic() < until_s:  # renewed, never at the failsafe
            assert _limit(cp, site_clock) == 32.0
            await asyncio.sleep(0.02)
        assert len(v.sent(cp)) >= 2 + 3  # a renewal every third of the lease
        assert ctl.service.profiles.installs[v.identity].lease.value == "Accepted"
    await run  # the controller is gone; the charger keeps its profiles
    died = site_clock.monotonic()
    async with site_clock.ticking():
        await until(lambda: _limit(cp, site_clock) == FAILSAFE_A, "the failsafe")
    assert site_clock.monotonic() - died <= LEASE_S + 5


@VERSIONS
async def test_a_current_limit_is_a_profile_the_charger_answers(tmp_path, v):
    cfg, site_clock = _site(tmp_path)
    async with controller(tmp_path, cfg, site_clock) as ctl:
        cp, run = await _installed(ctl, v)
        port = ctl.ports[f"{v.identity}-1"]

        result = await port.set_current_limit(10.0, 30)
        assert result.outcome is CommandOutcome.ACCEPTED
        assert _on_1(v, cp)[-1]["charging_profile_purpose"] == "TxDefaultProfile"
        assert _limit(cp, site_clock) == 10.0

        tx_id = await v.start(cp, CARD, 1_000)
        assert (await port.set_current_limit(16.0, 30)).outcome is (
            CommandOutcome.ACCEPTED
        )
        sent = _on_1(v, cp)[-1]
        assert sent["charging_profile_purpose"] == "TxProfile"
        assert sent["transaction_id"] == tx_id  # the charger's own id
        assert v.periods(sent) == [{"start_period": 0, "limit": 16.0}]
        assert _limit(cp, site_clock) == 16.0

        count = len(_on_1(v, cp))
        out_of_range = await port.set_current_limit(5.0, 30)
        assert out_of_range.outcome is CommandOutcome.REJECTED
        assert "outside 6 .. 32 A" in out_of_range.message
        assert len(_on_1(v, cp)) == count  # nothing sent

        cp.state.profiles.answer = "Rejected"
        refused = await port.set_current_limit(12.0, 30)
        assert refused.outcome is CommandOutcome.REJECTED
        assert "rejected the charging profile" in refused.message
        cp.state.profiles.answer = None
        await cp.link.close()
        await run
    not_connected = await port.set_current_limit(20.0, 30)
    assert not_connected.outcome is CommandOutcome.FAILED


async def test_a_16_charger_tells_its_composite_clears_and_answers_late(tmp_path):
    cfg, site_clock = _site(tmp_path)
    async with controller(tmp_path, cfg, site_clock) as ctl:
        cp, run = await _installed(ctl, V16)
        port = ctl.ports["CP002-1"]
        assert (await port.set_current_limit(10.0, 30)).outcome is (
            CommandOutcome.ACCEPTED
        )
        calls = ProfileCalls(ctl.service.central.connections["CP002"].calls)
        composite = await calls.composite_schedule(1, 600, 30)
        assert isinstance(composite, CompositeSchedule)
        assert composite.limit_now() == 10.0

        await V16.start(cp, CARD, 1_000)
        assert (await port.set_current_limit(16.0, 30)).outcome is (
            CommandOutcome.ACCEPTED
        )
        cleared = await calls.clear_profile(
            30, connector_id=1, purpose=ProfilePurpose.TX
        )
        assert cleared is ClearStatus.ACCEPTED
        assert _limit(cp, site_clock) == 10.0  # the TxDefaultProfile under it
        assert await calls.clear_profile(30, profile_id=999) is ClearStatus.UNKNOWN

        cp.hold_answers()
        late = await port.set_current_limit(20.0, 0.5)
        assert late.outcome is CommandOutcome.TIMEOUT
        cp.release_answers()
        await cp.link.close()
        await run


@VERSIONS
async def test_profiles_are_reinstalled_after_a_reboot(tmp_path, v):
    cfg, site_clock = _site(tmp_path)
    async with controller(tmp_path, cfg, site_clock) as ctl:
        cp, run = await _installed(ctl, v)
        eleven = await ctl.ports[f"{v.identity}-1"].set_current_limit(11.0, 30)
        assert eleven.outcome is CommandOutcome.ACCEPTED
        await cp.link.close()
        await run

        # It rebooted and lost every profile (go-eCharger #217).
        fresh, run = await ctl.connect(v)
        await fresh.boot()
        await until(lambda: len(fresh.state.profiles.held) == 3, "reinstalled")
        assert v.purposes(fresh)[:3] == [  # (a renewal may follow)
            (0, v.max_profile),  # the failsafe,
            (1, "TxDefaultProfile"),  # the limit,
            (0, v.max_profile),  # and only then the lease that lifts it
        ]
        assert _limit(fresh, site_clock) == 11.0
        await fresh.link.close()
        await run


async def test_a_201_limit_is_reinstalled_as_a_tx_profile_of_its_transaction(
    tmp_path,
):
    cfg, site_clock = _site(tmp_path)
    async with controller(tmp_path, cfg, site_clock) as ctl:
        cs, run = await _installed(ctl, V201)
        port = ctl.ports["CS202-1"]
        tx = await cs.start_transaction(1, CARD, 1_000.0)
        assert (await port.set_current_limit(16.0, 30)).outcome is (
            CommandOutcome.ACCEPTED
        )
        assert _on_1(V201, cs)[-1]["charging_profile_purpose"] == "TxProfile"
        cs.state.running.pop(tx.transaction_id)  # the station forgot it
        forgot = await port.set_current_limit(12.0, 30)
        assert forgot.outcome is CommandOutcome.ACCEPTED  # held all the same:
        assert [p["charging_profile_purpose"] for p in _on_1(V201, cs)[-2:]] == [
            "TxProfile",
            "TxDefaultProfile",
        ]
        assert _limit(cs, site_clock) == 12.0
        cs.state.running[tx.transaction_id] = tx  # (it remembers after all)
        await cs.link.close()
        await run

        fresh, run = await ctl.connect(V201)  # rebooted: lost every profile
        fresh.state.running[tx.transaction_id] = tx  # (its transaction kept)
        await fresh.boot()
        await until(lambda: len(fresh.state.profiles.held) == 3, "reinstalled")
        assert V201.purposes(fresh)[:3] == [
            (0, "ChargingStationMaxProfile"),
            (1, "TxProfile"),  # our transaction still runs on EVSE 1
            (0, "ChargingStationMaxProfile"),
        ]
        assert V201.sent(fresh)[1][1]["transaction_id"] == tx.transaction_id
        assert _limit(fresh, site_clock) == 12.0  # the last limit asked for
        await fresh.link.close()
        await run


async def _within(site_clock, seconds, condition):
    """Whether ``condition()`` holds within ``seconds`` of site time."""
    until_s = site_clock.monotonic() + seconds
    while site_clock.monotonic() < until_s:
        if condition():
            return True
        await asyncio.sleep(0.005)
    return bool(condition())


async def test_a_201_station_that_rebooted_mid_charge_is_held_at_its_allocation(
    tmp_path, caplog
):
    """It forgot its transaction: the TxProfile is rejected, a TxDefault holds it."""
    cfg, site_clock = _site(tmp_path)
    async with controller(tmp_path, cfg, site_clock) as ctl:
        cs, run = await _installed(ctl, V201)
        port = ctl.ports["CS202-1"]
        await cs.start_transaction(1, CARD, 1_000.0)
        assert (await port.set_current_limit(12.0, 30)).outcome is (
            CommandOutcome.ACCEPTED
        )
        assert _limit(cs, site_clock) == 12.0
        await cs.link.close()
        await run

        cs.state.reboot()  # its transaction and its profiles are gone
        assert not cs.state.running
        assert _limit(cs, site_clock) is None
        applied = []  # its composite limit after each profile it decided on
        cs.state.on_profile.append(lambda *_: applied.append(_limit(cs, site_clock)))
        before = len(V201.sent(cs))
        cs, run = await ctl.connect(V201, charger=cs)
        await cs.boot()
        held = await _within(site_clock, LEASE_S / 2, lambda: len(applied) >= 4)
        assert held, f"never back at the allocation: {applied}"
        assert applied[:4] == [FAILSAFE_A, FAILSAFE_A, FAILSAFE_A, 12.0]  # never above
        assert V201.purposes(cs)[before : before + 4] == [
            (0, "ChargingStationMaxProfile"),  # the failsafe,
            (1, "TxProfile"),  # Rejected: a transaction it does not know,
            (1, "TxDefaultProfile"),  # so the same limit for whatever it charges,
            (0, "ChargingStationMaxProfile"),  # then the lease
        ]
        assert "does not know it" in caplog.text

        ten = await port.set_current_limit(10.0, 30)
        assert ten.outcome is CommandOutcome.ACCEPTED
        assert applied[-1] == _limit(cs, site_clock) == 10.0
        assert caplog.text.count("does not know it") == 1  # once per transaction
        await cs.link.close()
        await run


@VERSIONS
async def test_a_charger_that_does_not_apply_its_limit_is_held(tmp_path, caplog, v):
    """GetCompositeSchedule tells it: its lease comes down to the failsafe."""
    cfg, site_clock = _site(tmp_path)
    async with controller(tmp_path, cfg, site_clock) as ctl:
        cp, run = await _installed(ctl, v)
        port = ctl.ports[f"{v.identity}-1"]
        profiles = ctl.service.profiles
        assert (await port.set_current_limit(12.0, 30)).outcome is (
            CommandOutcome.ACCEPTED
        )
        assert v.identity not in profiles.held  # its composite says 12 A: it obeys
        await cp.link.close()
        await run

        fresh, run = await ctl.connect(v)  # its new firmware accepts Tx(Default)
        fresh.state.profiles.ignored = {"TxDefaultProfile", "TxProfile"}  # ignores
        await fresh.boot()
        await until(lambda: v.identity in profiles.held, "the deviation seen")
        await until(  # not the lease's 32 A
            lambda: _limit(fresh, site_clock) == FAILSAFE_A, "held at its failsafe"
        )
        _, lease = v.sent(fresh)[-1]
        assert lease["charging_profile_purpose"] == v.max_profile
        assert v.periods(lease) == [{"start_period": 0, "limit": FAILSAFE_A}]
        assert "allows 32.0 A where we set 12.0 A" in caplog.text

        six = await port.set_current_limit(6.0, 30)  # the hold follows it down
        assert six.outcome is CommandOutcome.ACCEPTED
        assert _limit(fresh, site_clock) == 6.0
        await site_clock.sleep(LEASE_S / 2)  # past a renewal: still held
        assert _limit(fresh, site_clock) == 6.0
        assert caplog.text.count("does not apply our limits") == 1
        await fresh.link.close()
        await run


async def test_a_charger_without_composite_schedules_is_asked_once(tmp_path, caplog):
    cfg, site_clock = _site(tmp_path)
    async with controller(tmp_path, cfg, site_clock) as ctl:
        cp, run = await _installed(ctl, V16)
        cp.state.profiles.has_composite = False
        await until(lambda: "CP002" in ctl.service.profiles.installs, "the lease")
        port = ctl.ports["CP002-1"]
        for amps in (10.0, 12.0):
            result = await port.set_current_limit(amps, 30)
            assert result.outcome is CommandOutcome.ACCEPTED
        assert _limit(cp, site_clock) == 12.0
        assert caplog.text.count("no GetCompositeSchedule") == 1
        assert "CP002" not in ctl.service.profiles.held
        await cp.link.close()
        await run


async def test_a_charger_refusing_profiles_is_told_once(tmp_path, caplog):
    cfg, site_clock = _site(tmp_path)
    async with controller(tmp_path, cfg, site_clock) as ctl:
        cp, run = await ctl.connect(V16)
        state = cp.state
        state.profiles.answer = "NotSupported"
        await cp.boot()
        await until(lambda: "CP002" in ctl.service.profiles.installs, "the install")
        await site_clock.sleep(15)  # past a renewal's time (a third of the lease)
        assert len(state.profiles.received) == 2  # failsafe and lease, no renewal
        assert "charging profiles not installed (failsafe: NotSupported" in caplog.text
        await cp.link.close()
        await run
