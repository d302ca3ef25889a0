"""A strict third-party OCPP 1.6J client against ``edge run`` on the OCPP demo.

The client is ocpp-rpc (npm, pinned by tests/ocpp_client/package-lock.json;
``./dev test`` installs it with ``npm ci``) in strict mode: it validates every
message it sends and receives against the OCPP 1.6 JSON schemas, formats
included, and reports each failure. tests/ocpp_client/charger.js drives it:
boot, heartbeat, status, authorize, a transaction with meter values and stop.
The controller is a real ``edge run --config config/demo-ocpp.toml`` process;
our own commands to a charger are checked by the same client, in process.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from edge.ocpp.calls import v16
from tests.integration.ocpi_rig import until
from tests.integration.ocpp_rig import (
    ROOT,
    central_system,
    demo_site,
    edge_run,
    section,
)
from tests.integration.processes import query, stop, wait_for
from tests.integration.sites import free_port

CLIENT = ROOT / "tests" / "ocpp_client"
CARD = "04A1B2C3000001"


def _node() -> str:
    node = shutil.which("node")
    if node is None or not (CLIENT / "node_modules" / "ocpp-rpc").is_dir():
        raise AssertionError(
            "the strict OCPP client is not installed: `./dev test` sets it up, or "
            "`cd tests/ocpp_client && npm ci` (needs node and npm)"
        )
    return node


def _client(url: str, identity: str, **env: str) -> dict[str, Any]:
    done = subprocess.run(
        [_node(), str(CLIENT / "charger.js"), url, identity, CARD],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=CLIENT,
        env={"PATH": "/usr/bin:/bin", **env},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


@pytest.fixture
def demo(tmp_path: Path):
    port = free_port()
    db, log = tmp_path / "edge.db", tmp_path / "edge.log"
    proc = edge_run(demo_site(tmp_path, port), db, log, port)
    try:
        yield db, log, f"ws://127.0.0.1:{port}"
    finally:
        stop(proc)
    assert proc.returncode == 0, log.read_text()


def test_a_strict_client_boots_authorizes_and_charges(demo):
    db, log, url = demo
    report = _client(url, "CP001")
    assert report["protocol"] == "ocpp1.6"
    assert report["failures"] == []  # nothing either way broke the schemas
    steps = report["steps"]
    boot = steps["boot"]["answer"]
    assert boot["status"] == "Accepted"
    assert boot["interval"] == 300
    assert steps["heartbeat"]["answer"]["currentTime"].endswith("Z")
    assert steps["status"] == {"answer": {}}
    assert steps["authorize"]["answer"]["idTagInfo"]["status"] == "Accepted"
    assert steps["authorize_unknown"]["answer"]["idTagInfo"]["status"] == "Invalid"
    start_tx = steps["start"]["answer"]
    assert start_tx["idTagInfo"]["status"] == "Accepted"
    assert start_tx["transactionId"] > 0
    for name in ("charging", "meter_values_1", "meter_values_2", "finishing"):
        assert steps[name] == {"answer": {}}
    assert steps["stop"]["answer"]["idTagInfo"]["status"] == "Accepted"
    rows = wait_for(
        "the charger's session in the store",
        lambda: query(
            db,
            "SELECT evse_uid, status, token_uid, meter_start_wh, meter_stop_wh "
            "FROM sessions",
        ),
    )
    # billed on the charger's own readings: 1000 -> 1500 -> 2500 -> 3000 Wh
    assert rows == [("CP001-1", "COMPLETED", CARD, 1000, 3000)]
    stored = wait_for(
        "CP001-1's status in the store",
        lambda: query(db, "SELECT status FROM evse_status WHERE evse_uid = 'CP001-1'"),
    )
    assert stored[0][0] in {"CHARGING", "AVAILABLE", "UNKNOWN"}
    assert "OCPP CP001 booted: ocpp-rpc strict-client" in log.read_text()


async def test_our_commands_pass_a_strict_client(tmp_path):
    """Each typed command of ours, as a third-party validator reads it."""
    async with central_system(section(tmp_path)) as (central, srv):
        node = await asyncio.create_subprocess_exec(
            _node(),
            str(CLIENT / "charger.js"),
            f"ws://127.0.0.1:{srv.port}",
            "CP002",
            CARD,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=CLIENT,
            env={"PATH": "/usr/bin:/bin", "OCPP_CLIENT_LINGER_MS": "4000"},
        )
        await until(lambda: "CP002" in central.connections, 20)
        calls = v16.V16Calls(central.connections["CP002"].calls)
        accepted = v16.RemoteStartStopStatus.ACCEPTED
        assert await calls.remote_start(CARD, 1, 10) is accepted
        assert await calls.remote_stop(17, 10) is accepted
        assert await calls.unlock_connector(1, 10) is v16.UnlockStatus.UNLOCKED
        assert (
            await calls.change_availability(1, v16.AvailabilityType.INOPERATIVE, 10)
            is v16.AvailabilityStatus.ACCEPTED
        )
        assert await calls.reset(v16.ResetType.SOFT, 10) is v16.ResetStatus.ACCEPTED
        config = await calls.get_configuration(["HeartbeatInterval"], 10)
        assert isinstance(config, v16.Configuration)
        assert config.value("HeartbeatInterval") == "300"
        assert (
            await calls.change_configuration("HeartbeatInterval", "60", 10)
            is v16.ConfigurationStatus.ACCEPTED
        )
        assert (
            await calls.trigger_message(v16.MessageTrigger.HEARTBEAT, None, 10)
            is v16.TriggerStatus.ACCEPTED
        )
        out, err = await asyncio.wait_for(node.communicate(), 60)
    assert node.returncode == 0, out.decode() + err.decode()
    report = json.loads(out.decode().strip().splitlines()[-1])
    assert report["failures"] == []  # every request of ours met the schemas
    assert [r["method"] for r in report["received"]] == [
        "RemoteStartTransaction",
        "RemoteStopTransaction",
        "UnlockConnector",
        "ChangeAvailability",
        "Reset",
        "GetConfiguration",
        "ChangeConfiguration",
        "TriggerMessage",
    ]
    assert report["received"][0]["params"] == {"idTag": CARD, "connectorId": 1}
