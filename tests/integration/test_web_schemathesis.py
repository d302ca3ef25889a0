"""schemathesis against the local API's own OpenAPI document: 0 failures.

The real thing over real HTTP: ``edge``'s web server on loopback in front of a
simulated site (hal_sim over Modbus TCP) and a real SQLite file with sessions,
a dead letter and the site's tokens in it; schemathesis (its CLI, every phase,
every check) loads the document the server serves and tests each operation with
and without the token. The token reaches schemathesis through the environment
(its config file says ``${EDGE_TEST_API_TOKEN}``), never argv.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.integration.web_rig import TOKEN, live_site

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
MAX_EXAMPLES = 8
"""Per operation and phase, with the fixed seed: the coverage and fuzzing phases
still test every operation (the coverage phase's boundary cases do not depend
on it), the stateful phase runs 8 scenarios (25 at 20 examples); 551 cases, not
754: 70 s instead of 103 s under the same load (9-11 on 2 cores)."""
GUARD_S = 300.0

CONFIG = """\
headers = { Authorization = "Bearer ${EDGE_TEST_API_TOKEN}" }

[generation]
database = "none"
"""


async def test_schemathesis_finds_no_failure(tmp_path: Path):
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    junit = tmp_path / "junit.xml"
    async with live_site(tmp_path, seed=12, speed=60.0) as live:
        url = f"http://127.0.0.1:{live.port}/api/v1/openapi.json"
        started = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            str(SCHEMATHESIS),
            "--config-file",
            str(config),
            "--no-color",
            "run",
            url,
            "--checks",
            "all",
            "--max-examples",
            str(MAX_EXAMPLES),
            "--seed",
            "15",
            "--workers",
            "1",
            "--report",
            "junit",
            "--report-junit-path",
            str(junit),
            cwd=tmp_path,
            env={**os.environ, "EDGE_TEST_API_TOKEN": TOKEN},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        async with asyncio.timeout(GUARD_S):
            out, _ = await proc.communicate()
        took = time.monotonic() - started
    text = out.decode(errors="replace")
    assert proc.returncode == 0, text[-6000:]
    suites = ET.parse(junit).getroot()  # noqa: S314 (our own run's report)
    names = {str(c.get("name")) for c in suites.iter("testcase")}
    methods = ("GET /", "POST /", "PUT /", "DELETE /")
    operations = {n for n in names if n.startswith(methods)}
    assert len(operations) == 21, names  # every operation was tested
    assert suites.get("failures") in ("0", None), text[-6000:]
    assert suites.get("errors") in ("0", None), text[-6000:]
    assert took < GUARD_S
