"""OCPP 1.6J transactions over a real websocket into a real SQLite file.

StartTransaction, MeterValues and StopTransaction from hal_sim's charge point
(the ``ocpp`` package's client) become a session in the site's store and OCPI
outbox; repeats, replays, unknown stops and bad readings as issue 13 says.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from edge.model.clock import SystemClock
from edge.model.session import SessionStatus
from edge.ocpp.evse import ocpp_evses
from edge.store import ocpp_transactions as tx_repo
from edge.store import sessions as sessions_repo
from hal_sim.ocpp.charge_point import IdTagAnswer, SimChargePoint
from hal_sim.ocpp.link import open_link
from hal_sim.ocpp.messages import energy
from tests.integration.ocpp_rig import (
    CARD,
    GROUP,
    central_system,
    charge_point,
    section,
)


async def _close(cp, run):
    await cp.link.close()
    await run


def _outbox(db_path):
    with sqlite3.connect(db_path) as conn:
        return {k: v for k, v in conn.execute("SELECT key, version FROM outbox")}


def _ago(**kw):
    return datetime.now(UTC).replace(microsecond=0) - timedelta(**kw)


async def test_a_transaction_with_meter_values_is_a_cdr_with_exact_energy(
    tmp_path, caplog
):
    caplog.set_level(logging.INFO)
    db_path = tmp_path / "edge.db"
    t0 = _ago(minutes=10)
    async with central_system(section(tmp_path), db_path=db_path) as (central, srv):
        cp, run = await charge_point(srv)
        started = await cp.start_transaction(1, CARD, 10_000, t0)
        assert started.id_tag_info == IdTagAnswer("Accepted", GROUP)
        tid = started.transaction_id
        sid = tx_repo.find(_sync(db_path), "CP002", tid).session_id  # durable now
        assert central.transaction_of("CP002", 1) == tid
        await cp.meter_values(1, tid, [
            energy(t0 + timedelta(seconds=60), 10_300, power_w=11_000,
                   currents_a=(16.0, 16.0, 16.0)),
            energy(t0 + timedelta(seconds=120), 10_600, unit="kWh", power_w=11_000),
        ])  # fmt: skip
        await cp.meter_values(1, tid, [
            energy(t0 + timedelta(seconds=130), 99_999_999),  # a glitch: too fast
            energy(t0 + timedelta(seconds=140), 10_100),  # backwards
        ])  # fmt: skip
        view = await central.site.db.run(lambda db: sessions_repo.get_session(db, sid))
        assert view.meter_last_wh == 10_600
        assert await cp.stop_transaction(
            tid, 10_900, t0 + timedelta(seconds=180), id_tag=CARD
        ) == IdTagAnswer("Accepted", GROUP)
        await _close(cp, run)

    db = _sync(db_path)
    s = sessions_repo.get_session(db, sid)
    assert s.status is SessionStatus.COMPLETED
    assert (s.meter_start_wh, s.meter_stop_wh, s.energy_wh) == (10_000, 10_900, 900)
    assert (s.start, s.end) == (t0, t0 + timedelta(seconds=180))
    assert s.evse_uid == "CP002-1"
    assert s.token_uid == CARD
    assert s.group_id == GROUP
    periods = sessions_repo.periods(db, sid)
    assert sum(p.energy_wh for p in periods) == 900
    assert max(p.max_current_a or 0 for p in periods) == 16.0
    outbox = _outbox(db_path)
    assert f"cdrs:{sid}" in outbox
    assert f"sessions:{sid}" in outbox
    messages = [r.getMessage() for r in caplog.records]
    refused = [m for m in messages if "refused for billing" in m]
    assert any("CP002 connector 1" in m and "TOO_FAST" in m for m in refused)
    assert any("CP002 connector 1" in m and "BACKWARDS" in m for m in refused)


def _sync(db_path):
    from edge.store.db import open_sync

    return open_sync(db_path)


async def test_unknown_cards_are_refused_and_not_billed(tmp_path):
    db_path = tmp_path / "edge.db"
    async with central_system(section(tmp_path), db_path=db_path) as (_, srv):
        cp, run = await charge_point(srv)
        answer = await cp.start_transaction(1, "DEADBEEF0001", 0, _ago(seconds=5))
        assert answer.id_tag_info.status == "Invalid"
        await cp.stop_transaction(answer.transaction_id, 500, _ago(seconds=1))
        await _close(cp, run)
    db = _sync(db_path)
    tx = tx_repo.find(db, "CP002", answer.transaction_id)
    assert tx.session_id is None
    assert "idTag refused (Invalid" in tx.refused
    assert tx.meter_stop_wh == 500
    assert sessions_repo.list_sessions(db) == []
    assert _outbox(db_path) == {}


async def test_repeats_after_a_reconnect_make_no_second_session(tmp_path):
    db_path = tmp_path / "edge.db"
    t0 = _ago(minutes=5)
    async with central_system(section(tmp_path), db_path=db_path) as (_, srv):
        cp, run = await charge_point(srv)
        first = await cp.start_transaction(1, CARD, 2_000, t0)
        await _close(cp, run)  # the answer was lost, say: the charger sends it again
        cp, run = await charge_point(srv)
        again = await cp.start_transaction(1, CARD, 2_000, t0)
        assert again.transaction_id == first.transaction_id
        stop_at = t0 + timedelta(minutes=2)
        await cp.stop_transaction(first.transaction_id, 2_500, stop_at)
        await _close(cp, run)
        cp, run = await charge_point(srv)
        await cp.stop_transaction(first.transaction_id, 2_500, stop_at)
        await _close(cp, run)
    db = _sync(db_path)
    (s,) = sessions_repo.list_sessions(db)
    assert s.energy_wh == 500
    assert len(tx_repo.of_charger(db, "CP002")) == 1
    outbox = _outbox(db_path)
    assert [k for k in outbox if k.startswith("cdrs:")] == [f"cdrs:{s.id}"]
    assert outbox[f"cdrs:{s.id}"] == 1  # queued once, never folded again


async def test_a_stop_for_an_unknown_transaction_is_acknowledged_and_kept(
    tmp_path, caplog
):
    db_path = tmp_path / "edge.db"
    async with central_system(section(tmp_path), db_path=db_path) as (_, srv):
        cp, run = await charge_point(srv)
        at = _ago(minutes=1)
        assert await cp.stop_transaction(4242, 7_000, at, id_tag=CARD) == IdTagAnswer(
            "Accepted", GROUP
        )
        assert await cp.stop_transaction(4242, 7_000, at) is None  # a repeat
        await _close(cp, run)
    (orphan,) = tx_repo.orphan_stops(_sync(db_path), "CP002")
    assert orphan.transaction_id == 4242
    assert (orphan.meter_stop_wh, orphan.stop) == (7000, at)
    assert "not one we issued" in orphan.why
    assert _outbox(db_path) == {}
    assert "StopTransaction acknowledged and kept, not billed" in caplog.text


async def test_queued_transactions_replay_on_their_own_times(tmp_path):
    db_path = tmp_path / "edge.db"
    t0 = _ago(hours=3)
    old = _ago(days=8)
    async with central_system(section(tmp_path), db_path=db_path) as (_, srv):
        cp, run = await charge_point(srv)
        cp.go_offline()
        await _close(cp, run)  # the link is lost; the charger goes on charging
        stale = await cp.start_transaction(1, CARD, 100, old)
        await cp.stop_transaction(stale.transaction_id, 900, old + timedelta(hours=1))
        late = await cp.start_transaction(1, CARD, 1_000, t0)
        await cp.meter_values(1, late.transaction_id, [
            energy(t0 + timedelta(minutes=30), 6_000, power_w=10_000),
        ])  # fmt: skip
        await cp.stop_transaction(late.transaction_id, 11_000, t0 + timedelta(hours=1))
        assert len(cp.queue) == 5
        cp.reconnect(await open_link(srv.url("127.0.0.1", "CP002"), "CP002"))
        run = asyncio.create_task(cp.run())
        assert (await cp.reboot()).status == "Accepted"  # and replays the queue
        assert cp.queue == []
        assert set(cp.central_ids) == {stale.transaction_id, late.transaction_id}
        await _close(cp, run)
    db = _sync(db_path)
    (s,) = sessions_repo.list_sessions(db)
    assert (s.start, s.end, s.energy_wh) == (t0, t0 + timedelta(hours=1), 10_000)
    assert s.last_updated > t0 + timedelta(hours=2)  # changed on arrival
    stale_tx, late_tx = tx_repo.of_charger(db, "CP002")
    assert stale_tx.session_id is None
    assert "older than 7 days: not billed" in stale_tx.refused
    assert stale_tx.meter_stop_wh == 900
    assert late_tx.session_id == s.id
    assert len(sessions_repo.periods(db, s.id)) >= 1


async def test_a_charger_that_reconnects_mid_transaction_and_a_restart(tmp_path):
    db_path = tmp_path / "edge.db"
    t0 = _ago(minutes=20)
    cfg = section(tmp_path)
    async with central_system(cfg, db_path=db_path) as (_, srv):
        cp, run = await charge_point(srv)
        tid = (await cp.start_transaction(1, CARD, 0, t0)).transaction_id
        await cp.meter_values(1, tid, [energy(t0 + timedelta(minutes=5), 1_000)])
        await _close(cp, run)  # the link drops
        cp, run = await charge_point(srv)
        await cp.meter_values(1, tid, [energy(t0 + timedelta(minutes=10), 2_000)])
        await _close(cp, run)
    async with central_system(cfg, db_path=db_path) as (central, srv):  # restarted
        assert await central.resume() == 1
        assert central.transaction_of("CP002", 1) == tid
        cp, run = await charge_point(srv)
        await cp.meter_values(1, tid, [energy(t0 + timedelta(minutes=10), 1_500)])
        await cp.stop_transaction(tid, 3_000, t0 + timedelta(minutes=15))
        await _close(cp, run)
        assert central.transaction_of("CP002", 1) is None
    (s,) = sessions_repo.list_sessions(_sync(db_path))
    assert (s.status, s.energy_wh) == (SessionStatus.COMPLETED, 3_000)


MALFORMED_METER = [
    ('{"connectorId":1,"meterValue":[{"sampledValue":[{"value":"1"}]}]}',
     "ProtocolError"),
    ('{"connectorId":1,"meterValue":[{"timestamp":"yesterday",'
     '"sampledValue":[{"value":"1"}]}]}', "PropertyConstraintViolation"),
    ('{"connectorId":1,"meterValue":[{"timestamp":"2026-03-02T06:00:00Z",'
     '"sampledValue":[{"value":"1","unit":"parsec"}]}]}',
     "PropertyConstraintViolation"),
    ('{"connectorId":1,"meterValue":[]}', "OccurenceConstraintViolation"),
    ('{"connectorId":1,"transactionId":"7","meterValue":[{"timestamp":'
     '"2026-03-02T06:00:00Z","sampledValue":[{"value":"1"}]}]}',
     "TypeConstraintViolation"),
]  # fmt: skip


@pytest.mark.parametrize(("payload", "code"), MALFORMED_METER)
async def test_malformed_meter_values_get_their_callerror(tmp_path, payload, code):
    async with central_system(section(tmp_path)) as (_, srv):
        link = await open_link(srv.url("127.0.0.1", "CP002"), "CP002")
        await link.send(f'[2,"mv1","MeterValues",{payload}]')
        assert json.loads(await link.recv())[:3] == [4, "mv1", code]
        await link.send('[2,"hb","Heartbeat",{}]')
        assert json.loads(await link.recv())[:2] == [3, "hb"]  # the link goes on
        await link.close()


async def test_readings_that_cannot_bill_are_logged_and_bill_nothing(tmp_path, caplog):
    db_path = tmp_path / "edge.db"
    t0 = _ago(minutes=10)
    async with central_system(section(tmp_path), db_path=db_path) as (_, srv):
        cp, run = await charge_point(srv)
        tid = (await cp.start_transaction(1, CARD, 500, t0)).transaction_id
        at = t0 + timedelta(minutes=1)
        for sampled in (
            {"value": "abc"},
            {"value": "900", "measurand": "Energy.Active.Import.Interval"},
            {"value": "900", "location": "Inlet"},
            {"value": "-5"},
        ):
            value = {"timestamp": at.isoformat(), "sampled_value": [sampled]}
            answer = await cp.send(
                "MeterValues", connector_id=1, transaction_id=tid, meter_value=[value]
            )
            assert answer == {}
        await cp.stop_transaction(tid, 600, t0 + timedelta(minutes=2))
        await _close(cp, run)
    (s,) = sessions_repo.list_sessions(_sync(db_path))
    assert s.energy_wh == 100
    text = caplog.text
    assert "CP002 connector 1: reading refused for billing" in text
    assert "reads abc (not a number of Wh)" in text
    assert "only Energy.Active.Import.Register is billed" in text
    assert "at the Inlet" in text
    assert "reads -5" in text


async def test_the_evse_view_shows_meter_draw_and_session(tmp_path):
    t0 = datetime.now(UTC) - timedelta(seconds=30)
    async with central_system(section(tmp_path)) as (central, srv):
        port = ocpp_evses(central)["CP002-1"]
        seen: list[str] = []
        port.on_change(seen.append)
        assert (port.view().meter_wh, port.view().session) == (None, None)
        cp, run = await charge_point(srv)
        tid = (await cp.start_transaction(1, CARD, 4_000, t0)).transaction_id
        assert seen
        await cp.meter_values(1, tid, [
            energy(t0 + timedelta(seconds=20), 4_050, power_w=7_000,
                   currents_a=(10.0, 10.5, 9.5)),
        ])  # fmt: skip
        view = port.view()
        assert view.meter_wh == 4_050
        assert view.draw is not None
        assert view.draw.power_w == 7_000
        assert view.draw.currents_a == (10.0, 10.5, 9.5)
        assert view.session is not None
        assert view.session.token_uid == CARD
        assert view.session.group_id == GROUP
        assert (view.session.meter_start_wh, view.session.energy_wh) == (4_000, 50)
        assert central.transaction_of("CP002", 1) == tid
        await cp.stop_transaction(tid, 4_060, t0 + timedelta(seconds=25))
        assert port.view().session is None
        assert port.view().meter_wh == 4_060
        await _close(cp, run)


async def test_twenty_chargers_at_once_each_session_once_in_the_outbox(tmp_path):
    from edge.config.ocpp import OcppSection

    n = 20
    cfg = OcppSection.model_validate({
        "listen_port": 0,
        "charger": [
            {"identity": f"CP{100 + i}",
             "connector": [{"id": 1, "evse_uid": f"CP{100 + i}-1"}]}
            for i in range(n)
        ],
    })  # fmt: skip
    db_path = tmp_path / "edge.db"
    t0 = _ago(minutes=30)

    async def charge(i: int) -> int:
        cp, run = await charge_point(srv, f"CP{100 + i}")
        assert (await cp.boot()).status == "Accepted"
        start_wh = 1_000 * i
        tid = (await cp.start_transaction(1, CARD, start_wh, t0)).transaction_id
        for k in range(1, 6):
            at = t0 + timedelta(minutes=2 * k)
            wh = start_wh + 300 * k + i
            await cp.meter_values(1, tid, [energy(at, wh, power_w=9_000)])
        await cp.stop_transaction(tid, start_wh + 2_000 + i, t0 + timedelta(minutes=15))
        await _close(cp, run)
        return tid

    async with central_system(cfg, db_path=db_path) as (_, srv):
        tids = await asyncio.gather(*(charge(i) for i in range(n)))
    assert len(set(tids)) == n
    db = _sync(db_path)
    sessions = sessions_repo.list_sessions(db)
    assert len(sessions) == n
    for s in sessions:
        i = int(s.evse_uid[2:5]) - 100
        assert s.status is SessionStatus.COMPLETED
        assert s.energy_wh == 2_000 + i
    outbox = _outbox(db_path)
    cdrs = {k: v for k, v in outbox.items() if k.startswith("cdrs:")}
    assert set(cdrs) == {f"cdrs:{s.id}" for s in sessions}
    assert set(cdrs.values()) == {1}
    assert {k for k in outbox if k.startswith("sessions:")} == {
        f"sessions:{s.id}" for s in sessions
    }


async def test_concurrent_undeclared_future_and_transaction_data(tmp_path, caplog):
    from tests.integration.ocpp_rig import PASSWORD

    db_path = tmp_path / "edge.db"
    now = _ago(seconds=50)  # a live start
    async with central_system(section(tmp_path), db_path=db_path) as (central, srv):
        cp, run = await charge_point(srv)
        tid = (await cp.start_transaction(1, CARD, 0, now)).transaction_id
        url = srv.url("127.0.0.1", "CP001")
        link = await open_link(url, "CP001", PASSWORD.encode())
        other = SimChargePoint("CP001", link, SystemClock())
        other_run = asyncio.create_task(other.run())
        busy = await other.start_transaction(1, CARD, 0, now)
        assert busy.id_tag_info.status == "ConcurrentTx"
        nowhere = await other.start_transaction(5, CARD, 0, now)
        assert nowhere.id_tag_info.status == "Accepted"  # the card is fine
        await _close(other, other_run)

        await cp.meter_values(1, None, [energy(now, 123_456)])  # no transaction
        port = ocpp_evses(central)["CP002-1"]
        assert port.view().meter_wh == 123_456
        ahead = now + timedelta(hours=1)  # the charger's clock is off
        await cp.stop_transaction(tid, 40, ahead, transaction_data=[
            energy(now + timedelta(seconds=1), 10),
            energy(now + timedelta(seconds=2), 99_999),  # refused: too fast
            energy(now + timedelta(seconds=3), 30),
        ])  # fmt: skip
        await _close(cp, run)
    db = _sync(db_path)
    (s,) = sessions_repo.list_sessions(db)
    assert s.energy_wh == 40
    assert s.end is not None
    assert s.end < ahead - timedelta(minutes=50)  # taken as ours
    cp001 = {t.id: t for t in tx_repo.of_charger(db, "CP001")}
    assert "ConcurrentTx" in (cp001[busy.transaction_id].refused or "")
    assert "connector 5 is not declared" in (
        cp001[nowhere.transaction_id].refused or ""
    )
    assert "ahead of ours is taken as ours" in caplog.text
    assert "TOO_FAST" in caplog.text
