"""The whole suite's Hypothesis profile (no deadline, no timing health check),
and the tests pytest-xdist must keep on one worker.

A test's deadline is a wall-clock limit per example (200 ms by default): on a
loaded 2-core machine (or a Raspberry Pi) one example now and then takes
longer for no fault of the code, and the test fails as "flaky" (seen:
tests/unit/rfid/test_roundtrip.py at 296 ms under load). Speed is measured in
bench/, never in a test. The same holds for the too_slow health check, which
times the generation of the examples.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "suite", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("suite")


DEMO_SITE_FILES = frozenset(
    {
        "test_ocpp_cli_run.py",
        "test_ocpp_kill.py",
        "test_ocpp_strict_client.py",
        "test_ocpp_v201_kill.py",
    }
)
"""Tests that run ``config/demo-ocpp.toml`` as it ships: its fixed ports (OCPP
9000, Modbus 15020) and card-reader paths are one machine's, so under
pytest-xdist (``-n``) they share one worker (``--dist loadgroup``)."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "xdist_group(name): tests pytest-xdist runs on one worker"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.name in DEMO_SITE_FILES:
            item.add_marker(pytest.mark.xdist_group("demo-site"))
