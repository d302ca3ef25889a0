"""The web server over HTTPS: the API answers through TLS; a renewed certificate
is served to new connections after reload_tls (what SIGHUP to ``edge run``
calls), a broken pair keeps the old one, and a pair or token file that cannot be
used stops the start with the key named."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from edge.app import Site
from edge.cli import main
from edge.config.schema import SiteConfig
from edge.model.clock import SystemClock
from edge.store.db import Database
from edge.web.token import WebConfigError
from tests.integration.raw_http import head, read_reply
from tests.integration.tls_rig import (
    HOST,
    Pki,
    free_port,
    pki,
    served_serial,
    sighup_renews_the_certificate,
)
from tests.integration.web_rig import TOKEN, web_table


def _config(tmp_path: Path, p: Pki) -> SiteConfig:
    web_table(tmp_path)  # writes the token file
    return SiteConfig.model_validate({
        "site": {"name": "tls"},
        "web": {
            "listen_port": 0,
            "token_file": str(tmp_path / "api-token"),
            "tls_cert_file": str(p.cert_file),
            "tls_key_file": str(p.key_file),
        },
    })  # fmt: skip


@contextlib.asynccontextmanager
async def running(tmp_path: Path, config: SiteConfig) -> AsyncIterator[Site]:
    db = await Database.open(tmp_path / "edge.db")
    try:
        site = Site(config, SystemClock(), db)
        task = asyncio.create_task(site.run())
        try:
            async with asyncio.timeout(30):
                await site.ready.wait()
            yield site
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    finally:
        await db.close()


async def get_over_tls(port: int, trust: ssl.SSLContext, target: bytes) -> int:
    reader, writer = await asyncio.open_connection(
        HOST, port, ssl=trust, server_hostname=HOST
    )
    try:
        auth = (b"Authorization", f"Bearer {TOKEN}".encode())
        writer.write(head(b"GET", target, [auth]))
        await writer.drain()
        return (await read_reply(reader)).status
    finally:
        writer.close()
        with contextlib.suppress(OSError, ssl.SSLError):
            await writer.wait_closed()


async def test_https_and_a_renewed_certificate(tmp_path: Path):
    ours = pki(tmp_path, "web")
    first = ours.issue()
    async with running(tmp_path, _config(tmp_path, ours)) as site:
        assert site.web is not None
        assert site.web.bound is not None
        assert site.web.bound.scheme == "https"
        port = site.web.bound.port
        assert await get_over_tls(port, ours.client(), b"/api/v1/site") == 200
        assert await served_serial(port, ours.client()) == first

        second = ours.issue()
        site.web.reload_tls()
        assert await served_serial(port, ours.client()) == second

        # a key that is not the certificate's: logged, the renewed pair stays
        other = pki(tmp_path, "other")
        other.ca.issue_cert(HOST).private_key_pem.write_to_path(str(ours.key_file))
        site.web.reload_tls()
        assert await served_serial(port, ours.client()) == second
        assert await get_over_tls(port, ours.client(), b"/api/v1/site") == 200


async def test_a_pair_that_does_not_load_is_a_config_error(tmp_path: Path):
    ours = pki(tmp_path, "web")
    ours.issue()
    ours.key_file.write_text("not a key\n")
    db = await Database.open(tmp_path / "edge.db")
    try:
        with pytest.raises(WebConfigError, match=r"web\.tls_cert_file/tls_key_file"):
            Site(_config(tmp_path, ours), SystemClock(), db)
    finally:
        await db.close()


def test_edge_run_serves_the_api_and_sighup_renews_its_certificate(tmp_path: Path):
    ours = pki(tmp_path, "web")
    web_table(tmp_path)  # the token file
    port = free_port()

    def the_api_answers() -> None:
        status = asyncio.run(get_over_tls(port, ours.client(), b"/api/v1/site"))
        assert status == 200

    log = sighup_renews_the_certificate(
        tmp_path,
        f'[site]\nname = "t"\n[store]\npath = "{tmp_path}/edge.db"\n'
        f'[web]\nlisten_port = {port}\ntoken_file = "{tmp_path}/api-token"\n'
        f'tls_cert_file = "{ours.cert_file}"\ntls_key_file = "{ours.key_file}"\n',
        port,
        ours,
        the_api_answers,
    )
    assert TOKEN not in log


def test_edge_run_names_a_token_file_others_can_read(tmp_path: Path, capsys):
    web_table(tmp_path)
    (tmp_path / "api-token").chmod(0o644)
    site = tmp_path / "site.toml"
    site.write_text(
        f'[site]\nname = "t"\n[store]\npath = "{tmp_path}/edge.db"\n'
        f'[web]\nlisten_port = 0\ntoken_file = "{tmp_path}/api-token"\n'
    )
    assert main(["run", "--config", str(site)]) == 2
    err = capsys.readouterr().err
    assert "web.token_file" in err
    assert "every user may read it" in err
