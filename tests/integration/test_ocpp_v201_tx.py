"""OCPP 2.0.1 TransactionEvent over a real websocket, into the site's store.

One transaction of hal_sim's station (Started, Updated, Ended, with energy
readings hours in the past, sent offline) becomes one session and one CDR in
the OCPI outbox; a repeated (transactionId, seqNo) changes nothing, across a
restart of the central system on the same SQLite file too; a seqNo gap is
logged and the late event that fills it is still taken.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from edge.evse.states import EvseStatus, Phase
from edge.store import ocpp201_transactions, sessions
from edge.store.outbox import all_items
from hal_sim.ocpp.charge_point_201 import Transaction
from tests.integration.ocpp201_rig import booted, mixed
from tests.integration.ocpp_rig import CARD, central_system

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


async def _sessions(central, evse="CS201-2"):
    found = await central.site.db.run(sessions.list_sessions)
    return [s for s in found if s.evse_uid == evse]


async def test_one_transaction_is_one_session_however_often_it_comes(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="edge.ocpp")
    db = tmp_path / "edge.db"
    async with central_system(mixed(), db_path=db) as (central, srv):
        cs, run = await booted(srv, central)
        await cs.status(2, 1, "Occupied", timestamp=_at(0))
        tx = await cs.start_transaction(2, CARD, 10_000.0, timestamp=_at(0))
        [s] = await _sessions(central)
        assert (s.token_uid, s.meter_start_wh, s.start) == (CARD, 10_000, _at(0))
        assert central.status["CS201"].evse(2).phase is Phase.CHARGING
        ours = central.transaction_of("CS201", 2)
        assert ours is not None
        mapped = await central.site.db.run(
            lambda d: ocpp201_transactions.station_transaction_id(d, "CS201", ours)
        )
        assert mapped == tx.transaction_id  # what RequestStopTransaction names

        await cs.meter(tx, 12_000.0, timestamp=_at(10), offline=True)
        again = await cs.transaction_event(
            tx, "Updated", "MeterValuePeriodic", energy_wh=12_000.0,
            timestamp=_at(10), seq_no=1,
        )  # fmt: skip
        assert again == {"id_token_info": None, "total_cost": None}
        await cs.transaction_event(
            tx,
            "Updated",
            "MeterValuePeriodic",
            energy_wh=15_000.0,
            timestamp=_at(30),
            seq_no=4,
        )  # fmt: skip  (2 and 3 still at the station)
        await cs.meter(tx, 13_000.0, timestamp=_at(20))  # seqNo 2, late: taken
        tx.seq_no = 5
        await cs.stop_transaction(
            tx, 16_000.0, reason="EVDisconnected", timestamp=_at(40)
        )
        await cs.transaction_event(
            tx, "Ended", "StopAuthorized", energy_wh=16_000.0, timestamp=_at(40),
            stopped_reason="EVDisconnected", seq_no=5,
        )  # fmt: skip
        late = await cs.transaction_event(
            tx,
            "Updated",
            "MeterValuePeriodic",
            energy_wh=14_000.0,
            timestamp=_at(25),
            seq_no=3,
        )  # fmt: skip  (after Ended: a replay, whatever its seqNo)
        assert late == {"id_token_info": None, "total_cost": None}
        [s] = await _sessions(central)
        assert s.end == _at(40)
        assert s.energy_wh == 6_000
        assert "EVDisconnected" in (s.stop_reason or "")
        await cs.link.close()
        await run

    # the station replays everything after a restart: nothing changes
    async with central_system(mixed(), db_path=db) as (central, srv):
        cs, run = await booted(srv, central)
        same = Transaction(tx.transaction_id, 2)
        await cs.transaction_event(
            same, "Started", "Authorized", energy_wh=10_000.0, id_token=CARD,
            charging_state="Charging", timestamp=_at(0), offline=True,
        )  # fmt: skip
        await cs.meter(same, 12_000.0, timestamp=_at(10), offline=True)
        await cs.stop_transaction(same, 16_000.0, timestamp=_at(40), seq_no=5)
        [s] = await _sessions(central)
        assert (s.energy_wh, s.end) == (6_000, _at(40))
        items = await central.site.db.run(lambda d: all_items(d.conn))
        cdrs = [i for i in items if i.module.startswith("cdr")]
        assert len(cdrs) == 1
        await cs.link.close()
        await run
    text = caplog.text
    assert "TransactionEvent Updated seqNo 1 of transaction" in text
    assert "Ended seqNo 5 of transaction" in text  # the repeat, and the replay
    assert "Updated seqNo 3 of transaction" in text
    assert "seqNo 4 taken with 2 before it missing (first 2, 3)" in text


async def test_started_at_plug_in_is_billed_once_authorized():
    async with central_system(mixed()) as (central, srv):
        cs, run = await booted(srv, central)
        tx = Transaction("PLUG-1", 1)
        await cs.transaction_event(
            tx, "Started", "CablePluggedIn", energy_wh=500.0,
            charging_state="EVConnected", timestamp=_at(0),
        )  # fmt: skip
        assert await _sessions(central, "CS201-1") == []  # not authorized yet
        answer = await cs.transaction_event(
            tx, "Updated", "Authorized", id_token=CARD, charging_state="Charging",
            energy_wh=500.0, timestamp=_at(1),
        )  # fmt: skip
        assert answer["id_token_info"]["status"] == "Accepted"
        [s] = await _sessions(central, "CS201-1")
        assert (s.start, s.meter_start_wh) == (_at(0), 500)
        await cs.status(1, 1, "Occupied", timestamp=_at(0))
        assert central.status["CS201"].evse(1).phase is Phase.CHARGING
        # the station holds back (a 0 A profile): waiting for power
        await cs.transaction_event(
            tx,
            "Updated",
            "ChargingStateChanged",
            charging_state="SuspendedEVSE",
            energy_wh=1_500.0,
            timestamp=_at(20),
        )
        shown = central.status["CS201"].evse(1)
        assert (shown.phase, shown.status) == (
            Phase.SUSPENDED_EVSE,
            EvseStatus.CHARGING,
        )
        await cs.stop_transaction(tx, 2_500.0, timestamp=_at(30))
        [s] = await _sessions(central, "CS201-1")
        assert s.energy_wh == 2_000
        await cs.link.close()
        await run


async def test_a_transaction_never_authorized_bills_nothing():
    async with central_system(mixed()) as (central, srv):
        cs, run = await booted(srv, central)
        tx = Transaction("NOAUTH-1", 1)
        await cs.transaction_event(tx, "Started", "CablePluggedIn", energy_wh=0.0)
        await cs.stop_transaction(tx, 0.0, reason="EVDisconnected")
        assert await _sessions(central, "CS201-1") == []
        await cs.link.close()
        await asyncio.wait_for(run, 5)


async def test_a_card_charging_elsewhere_is_concurrent_tx():
    async with central_system(mixed()) as (central, srv):
        cs, run = await booted(srv, central)
        other, run2 = await booted(srv, central, "CS202")
        await cs.start_transaction(1, CARD, 0.0)
        tx = Transaction("SECOND-1", 1)
        answer = await other.transaction_event(
            tx, "Started", "Authorized", id_token=CARD, energy_wh=0.0
        )
        assert answer["id_token_info"]["status"] == "ConcurrentTx"
        assert await _sessions(central, "CS202-1") == []
        assert len(await _sessions(central, "CS201-1")) == 1
        for station, task in ((cs, run), (other, run2)):
            await station.link.close()
            await task
