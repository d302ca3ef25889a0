"""The central system as a service, with hal_sim's 1.6J charge point (ocpp client)."""

from __future__ import annotations

import asyncio
import ssl
from datetime import UTC, datetime, timedelta

import pytest
import trustme

from edge.evse.states import EvseStatus
from edge.model.clock import ScaledClock, SystemClock
from edge.ocpp.calls.outgoing import Answered, TimedOut
from edge.ocpp.declared import OcppConfigError
from edge.ocpp.service import OcppService
from hal_sim.ocpp.link import open_link
from tests.integration.ocpp_rig import PASSWORD, charge_point, section, site_backing


@pytest.fixture
async def site(tmp_path):
    async with site_backing(tmp_path / "edge.db") as backing:
        yield backing


async def _served(cfg, site):
    service = OcppService(cfg, SystemClock(), site.db, site.authorization)
    bound: asyncio.Future = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(service.run(bound.set_result))
    await asyncio.wait({bound, task}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()  # raises why it could not start
    return service, bound.result(), task


async def test_the_charger_answers_our_calls_and_a_late_answer_is_dropped(
    tmp_path, site
):
    service, srv, serving = await _served(section(tmp_path), site)
    changes: list[str] = []
    service.central.on_change(changes.append)
    cp, run = await charge_point(srv, "CP001")
    assert (await cp.boot()).status == "Accepted"
    await cp.status(2, "Preparing")
    assert changes[-1] == "CP001-2"
    assert service.central.evses()["CP001-2"].status is EvseStatus.CHARGING

    calls = service.central.connections["CP001"].calls
    cp.state.local_list.version = 4
    assert await calls.call("GetLocalListVersion", {}, 30) == Answered(
        {"listVersion": 4}
    )

    cp.hold_answers()
    late = await calls.call(
        "ChangeAvailability", {"connectorId": 1, "type": "Inoperative"}, 0.05
    )
    assert late == TimedOut(0.05, sent=True)
    cp.state.local_list.version = 5
    pending = asyncio.create_task(calls.call("GetLocalListVersion", {}, 30))
    cp.release_answers()  # the late ChangeAvailability answer goes first
    assert await pending == Answered({"listVersion": 5})
    assert calls.discarded == 1
    assert cp.state.inoperative == {1}

    await cp.link.close()
    await run
    serving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await serving
    assert service.central.evses()["CP001-2"].status is EvseStatus.UNKNOWN
    assert changes.count("CP001-1") >= 2  # online, then offline


async def test_heartbeats_on_the_site_clock(tmp_path, site):
    _, srv, serving = await _served(section(tmp_path), site)
    before = datetime.now(UTC) - timedelta(seconds=1)  # the wire has ms
    clock = ScaledClock(speed=1000.0, start=datetime(2026, 3, 2, tzinfo=UTC))
    cp, run = await charge_point(srv, "CP002", clock)
    beats: list[datetime] = []
    three = asyncio.Event()

    def beat(at: datetime) -> None:
        beats.append(at)
        if len(beats) == 3:
            three.set()

    alive = asyncio.create_task(cp.keep_alive(120, beat))
    await three.wait()
    alive.cancel()
    assert beats == sorted(beats)  # the central system's own (wall) time
    assert before <= beats[0]
    assert beats[-1] <= datetime.now(UTC)
    await cp.link.close()
    await run
    serving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await serving


async def test_a_readable_password_file_stops_the_start(tmp_path, site):
    cfg = section(tmp_path)
    (tmp_path / "cp001.password").chmod(0o644)
    with pytest.raises(OcppConfigError, match="every user may read it"):
        OcppService(cfg, SystemClock(), site.db, site.authorization)


def _pair(tmp_path, ca):
    cert = ca.issue_cert("127.0.0.1")
    cert.private_key_and_cert_chain_pem.write_to_path(str(tmp_path / "cert.pem"))
    cert.private_key_pem.write_to_path(str(tmp_path / "key.pem"))


def _trusting(ca) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    return ctx


async def test_a_renewed_certificate_is_served_after_reload(tmp_path, caplog, site):
    old_ca, new_ca = trustme.CA(), trustme.CA()
    _pair(tmp_path, old_ca)
    cfg = section(
        tmp_path,
        tls_cert_file=str(tmp_path / "cert.pem"),
        tls_key_file=str(tmp_path / "key.pem"),
    )
    service, srv, serving = await _served(cfg, site)
    url = srv.url("127.0.0.1", "CP001")
    link = await open_link(
        url, "CP001", PASSWORD.encode(), ssl_context=_trusting(old_ca)
    )
    await link.close()

    (tmp_path / "key.pem").write_text("not a key")
    service.reload_tls()  # a broken pair: logged, the old one stays
    assert "previous certificate stays in use" in caplog.text
    link = await open_link(
        url, "CP001", PASSWORD.encode(), ssl_context=_trusting(old_ca)
    )
    await link.close()

    _pair(tmp_path, new_ca)
    service.reload_tls()
    with pytest.raises(ssl.SSLCertVerificationError):
        await open_link(url, "CP001", PASSWORD.encode(), ssl_context=_trusting(old_ca))
    link = await open_link(
        url, "CP001", PASSWORD.encode(), ssl_context=_trusting(new_ca)
    )
    await link.close()
    serving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await serving
