"""`edge ocpi credentials rotate`: a credentials PUT gives new tokens B and C."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from edge.cli import ocpi as cli
from edge.cli.common import EXIT_RUNTIME
from edge.model.clock import SystemClock
from edge.uplink.ocpi.registration import CredentialsStore
from hal_sim.backoffice.server import SimBackoffice
from tests.integration.test_ocpi_commands import site


async def test_rotate_replaces_both_tokens(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with SimBackoffice(SystemClock()) as bo:
        args = argparse.Namespace(
            config=str(site(tmp_path)),
            db=None,
            ocpi_versions_url=bo.versions_url,
        )
        monkeypatch.setenv("EDGE_OCPI_TOKEN_A", bo.token_a)
        found = cli._section(args)
        assert found is not None
        assert await cli._rotate(found[0], args) == EXIT_RUNTIME  # not registered
        assert await cli._handshake(found[0], args, True) == 0
        store = CredentialsStore(tmp_path / "ocpi.json")
        before = store.load()
        assert before is not None
        assert set(bo.state.registrations) == {before.token_c}
        assert await cli._rotate(found[0], args) == 0
        after = store.load()
        assert after is not None
        assert after.token_c != before.token_c
        assert after.token_b != before.token_b
        # the backoffice knows only the new pair: the old token C is dead
        assert set(bo.state.registrations) == {after.token_c}
        assert bo.state.registrations[str(after.token_c)].token_b == after.token_b
    assert "rotated" in capsys.readouterr().out
