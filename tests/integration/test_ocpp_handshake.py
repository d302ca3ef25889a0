"""Who may open a websocket: identity, Basic auth, subprotocol, TLS (real sockets)."""

from __future__ import annotations

import logging
import ssl

import pytest
import trustme

from edge.config.server_tls import ServerTls
from hal_sim.ocpp.link import HandshakeRefused, basic_auth, open_link
from tests.integration.ocpp_rig import PASSWORD, central_system, section


async def test_undeclared_identity_is_refused_with_404_and_logged(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="edge.ocpp")
    async with central_system(section(tmp_path)) as (central, srv):
        with pytest.raises(HandshakeRefused) as refused:
            await open_link(srv.url("127.0.0.1", "CP999"), "CP999")
        assert refused.value.status == 404
        assert central.connections == {}
    assert "refused (HTTP 404) for CP999: identity not declared" in caplog.text


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        (None, "no Basic Authorization header"),
        (basic_auth("CP001", b"not-the-password"), "wrong password"),
        (basic_auth("CP002", PASSWORD.encode()), "Basic user name is not the identity"),
        ("Bearer abc", "Authorization header is not valid Basic"),
        ("Basic %%%", "Authorization header is not valid Basic"),
    ],
)
async def test_bad_credentials_are_refused_with_401_and_the_reason(
    tmp_path, caplog, header, reason
):
    caplog.set_level(logging.WARNING, logger="edge.ocpp")
    async with central_system(section(tmp_path)) as (_, srv):
        with pytest.raises(HandshakeRefused) as refused:
            await open_link(
                srv.url("127.0.0.1", "CP001"), "CP001", authorization=header
            )
        assert refused.value.status == 401
    assert f"refused (HTTP 401) for CP001: {reason}" in caplog.text
    assert PASSWORD not in caplog.text
    assert "not-the-password" not in caplog.text


async def test_right_password_opens_with_ocpp16(tmp_path):
    async with central_system(section(tmp_path)) as (_, srv):
        link = await open_link(
            srv.url("127.0.0.1", "CP001"), "CP001", password=PASSWORD.encode()
        )
        assert link.subprotocol == "ocpp1.6"
        await link.close()


async def test_charger_without_password_on_loopback_opens(tmp_path):
    async with central_system(section(tmp_path)) as (_, srv):
        link = await open_link(
            srv.url("127.0.0.1", "CP002"), "CP002", subprotocols=("ocpp1.5", "ocpp1.6")
        )
        assert link.subprotocol == "ocpp1.6"
        await link.close()


async def test_no_subprotocol_we_speak_completes_then_closes(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="edge.ocpp")
    async with central_system(section(tmp_path)) as (central, srv):
        link = await open_link(
            srv.url("127.0.0.1", "CP002"), "CP002", subprotocols=("ocpp2.0.1",)
        )
        assert link.subprotocol is None  # handshake done, no header (OCPP-J 3.1.2)
        lost = await link.wait_closed()
        assert lost.code == 1002
        assert "CP002" not in central.connections
    assert "offered no subprotocol ocpp1.6" in caplog.text


async def test_percent_encoded_identity_is_decoded(tmp_path):
    async with central_system(section(tmp_path)) as (_, srv):
        link = await open_link(f"ws://127.0.0.1:{srv.port}/CP%30%302", "CP002")
        assert link.subprotocol == "ocpp1.6"
        await link.close()


async def test_a_second_connection_replaces_the_first(tmp_path):
    async with central_system(section(tmp_path)) as (central, srv):
        first = await open_link(srv.url("127.0.0.1", "CP002"), "CP002")
        second = await open_link(srv.url("127.0.0.1", "CP002"), "CP002")
        lost = await first.wait_closed()
        assert lost.code == 1000
        await second.send('[2,"h1","Heartbeat",{}]')
        answer = await second.recv()
        assert answer.startswith('[3,"h1",{"currentTime":')
        assert list(central.connections) == ["CP002"]
        await second.close()


async def test_wss_with_the_servers_certificate(tmp_path):
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    client = ssl.create_default_context()
    ca.configure_trust(client)
    cfg = section(tmp_path)
    tls = ServerTls("ocpp", str(cert_file), str(key_file)).context
    async with central_system(cfg, tls) as (_, srv):
        url = srv.url("127.0.0.1", "CP001")
        assert url.startswith("wss://")
        link = await open_link(
            url, "CP001", password=PASSWORD.encode(), ssl_context=client
        )
        await link.send('[2,"h1","Heartbeat",{}]')
        assert (await link.recv()).startswith('[3,"h1",')
        await link.close()
        with pytest.raises(ssl.SSLCertVerificationError):
            await open_link(
                url,
                "CP001",
                password=PASSWORD.encode(),
                ssl_context=ssl.create_default_context(),
            )


async def test_a_strangers_identity_cannot_forge_log_lines(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="edge.ocpp")
    async with central_system(section(tmp_path)) as (_, srv):
        with pytest.raises(HandshakeRefused):
            await open_link(f"ws://127.0.0.1:{srv.port}/CP%0AFAKE%20LINE", "x")
    (line,) = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert "\n" not in line
    assert "'CP\\nFAKE LINE'" in line
