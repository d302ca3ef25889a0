"""TLS both ways, over real sockets, with throwaway CAs made here (issue 11, item 1).

* Our OCPI server presents ``tls_cert_file``; the simulated backoffice, trusting
  the test CA, registers with us over HTTPS (it calls our versions back).
* Our client verifies the backoffice against ``tls_ca_file``: a certificate from
  another CA is refused with a clear error, one from the configured CA works.
* A renewed certificate is picked up by :meth:`OcpiUplink.reload_tls` (what
  SIGHUP calls) and, end to end, by SIGHUP to a real ``edge run``: a new
  connection sees the new serial; the server keeps running; a broken pair is
  refused and the previous certificate stays.
"""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import pytest
from cryptography import x509

from edge.cli import main
from edge.uplink.ocpi.client import HandshakeError, OcpiClient, TransportError
from edge.uplink.ocpi.registration import discover
from hal_sim.backoffice.cpo import CpoPeer
from tests.integration.ocpi_rig import rig
from tests.integration.tls_rig import (
    HOST,
    closed,
    free_port,
    pki,
    served_serial,
    sighup_renews_the_certificate,
)


async def test_backoffice_registers_with_our_tls_server(tmp_path: Path) -> None:
    ours = pki(tmp_path, "cpo")
    ours.issue()
    section = {"tls_cert_file": str(ours.cert_file),
               "tls_key_file": str(ours.key_file)}  # fmt: skip
    backoffice = {"verify": ours.client()}
    async with rig(tmp_path, section=section, backoffice=backoffice) as r:
        up = r.uplink
        assert up is not None
        assert up.server.versions_url.startswith(f"https://{HOST}:")
        (reg,) = r.bo.state.registrations.values()
        assert reg.versions_url == up.server.versions_url  # called back over TLS
        peer = CpoPeer(r.bo.backoffice)
        assert ("tokens", "RECEIVER") in await peer.published()
        # a client that does not trust our CA gets a clear refusal
        async with OcpiClient(timeout_s=5) as stranger:
            with pytest.raises(TransportError, match="certificate is not trusted"):
                await stranger.call("GET", up.server.versions_url, token="x")
        # nor does plain http reach the TLS port
        plain = up.server.versions_url.replace("https://", "http://")
        async with OcpiClient(timeout_s=5) as client:
            with pytest.raises(TransportError):
                await client.call("GET", plain, token="x")


async def test_our_client_verifies_the_backoffice(tmp_path: Path) -> None:
    theirs, other = pki(tmp_path, "emsp"), pki(tmp_path, "other")
    theirs.issue()
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(theirs.cert_file, theirs.key_file)
    options = {"tls": server_ctx, "proxy": False}
    for ca, accepted in ((other, False), (theirs, True)):
        section = {"tls_ca_file": str(ca.ca_file)}
        async with rig(tmp_path, backoffice=options, section=section,
                       start=False) as r:  # fmt: skip
            assert r.bo.versions_url.startswith("https://")
            up = r.new_uplink()
            try:
                if not accepted:
                    with pytest.raises(HandshakeError) as err:
                        await discover(up.client, r.bo.versions_url, r.bo.token_a)
                    reason = err.value.reason
                    assert "certificate is not trusted" in reason
                    assert "tls_ca_file" in reason
                    assert r.bo.state.log == []  # the request never got through
                else:
                    disc = await discover(up.client, r.bo.versions_url, r.bo.token_a)
                    assert disc.version_url.startswith("https://")
            finally:
                await up.aclose()
    # accepted end to end: registration over TLS, pushes to an https endpoint
    section = {"tls_ca_file": str(theirs.ca_file)}
    async with rig(tmp_path, backoffice=options, section=section) as r:
        up = r.uplink
        assert up is not None
        assert up.creds is not None
        assert up.creds.versions_url.startswith("https://")
        await r.drained()
        assert r.bo.state.locations  # the location went over TLS


async def test_reload_swaps_the_certificate_without_dropping_the_server(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ours = pki(tmp_path, "cpo")
    first = ours.issue()
    section = {"tls_cert_file": str(ours.cert_file),
               "tls_key_file": str(ours.key_file)}  # fmt: skip
    async with rig(tmp_path, section=section,
                   backoffice={"verify": ours.client()}) as r:  # fmt: skip
        up = r.uplink
        assert up is not None
        port = int(up.server.versions_url.split(":")[2].split("/")[0])
        assert await served_serial(port, ours.client()) == first
        # a connection opened before the reload keeps its certificate and works
        reader, writer = await asyncio.open_connection(
            HOST, port, ssl=ours.client(), server_hostname=HOST
        )
        second = ours.issue()
        assert second != first
        up.reload_tls()
        assert await served_serial(port, ours.client()) == second
        writer.write(b"GET /ocpi/cpo/versions HTTP/1.1\r\nHost: t\r\n\r\n")
        assert (await reader.readline()).startswith(b"HTTP/1.1 401")
        der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
        assert x509.load_der_x509_certificate(der).serial_number == first
        await closed(writer)
        # a key that does not match: refused, and the second certificate stays
        other = pki(tmp_path, "other")
        other.ca.issue_cert(HOST).private_key_pem.write_to_path(str(ours.key_file))
        with caplog.at_level("ERROR"):
            up.reload_tls()
        assert "still serving the previous certificate" in caplog.text
        assert await served_serial(port, ours.client()) == second
        assert r.task is not None
        assert not r.task.done()


def test_sighup_to_edge_run_reloads_the_certificate(tmp_path: Path) -> None:
    ours = pki(tmp_path, "cpo")
    port = free_port()
    sighup_renews_the_certificate(
        tmp_path,
        f'[site]\nname = "t"\n[store]\npath = "{tmp_path}/edge.db"\n'
        f'[ocpi]\ncredentials_path = "{tmp_path}/c.json"\nlisten_port = {port}\n'
        f'tls_cert_file = "{ours.cert_file}"\ntls_key_file = "{ours.key_file}"\n',
        port,
        ours,
    )


def test_edge_run_names_a_missing_certificate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "site.toml"
    site.write_text(
        f'[site]\nname = "t"\n[store]\npath = "{tmp_path}/edge.db"\n'
        f'[ocpi]\ncredentials_path = "{tmp_path}/c.json"\nlisten_port = 0\n'
        f'tls_cert_file = "{tmp_path}/none.pem"\ntls_key_file = "{tmp_path}/k.pem"\n'
    )
    assert main(["run", "--config", str(site)]) == 2
    err = capsys.readouterr().err
    # the site check that edge run makes first names the file, with its line
    assert ":8: ocpi.tls_cert_file: cannot read" in err
    assert "none.pem" in err
