"""The page's own views: the boot-time site check, load per circuit, scan checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from edge.config.loader import parse_config
from edge.web.errors import ApiProblem
from edge.web.page.scan import ScanBody, Scanner, site_bus_of
from edge.web.page.site_info import load_doc, site_check
from tests.unit.load.manager_rig import reading, rig

SITE = """
[site]
name = "t"
[[bus]]
id = "rs485"
transport = "rtu"
device = "/dev/ttyUSB0"
[[bus]]
id = "gw"
transport = "tcp"
host = "10.0.0.5"
port = 502
[[evse]]
uid = "E1"
meter = { bus = "gw", unit = 1, model = "eastron_sdm630" }
board = { bus = "gw", unit = 2, model = "evse_wb" }
"""


def config():
    from drivers.modbus.profile import ProfileLibrary

    return parse_config(SITE, "site.toml", ProfileLibrary().ids())


def test_site_check_absent_accepted_and_rejected(tmp_path: Path) -> None:
    missing = site_check(tmp_path / "none.txt")
    assert missing["text"] is None
    assert "no boot-time check" in str(missing["note"])
    ok = tmp_path / "ok.txt"
    ok.write_text("installed /boot/site.toml as /etc/edge/site.toml\n")
    assert site_check(ok)["rejected"] is False
    bad = tmp_path / "bad.txt"
    bad.write_text("rejected /boot/site.toml\nsite.toml:3: evse[0].uid: required\n")
    doc = site_check(bad)
    assert doc["rejected"] is True
    assert "evse[0].uid" in str(doc["text"])


async def test_load_doc_per_circuit() -> None:
    assert load_doc(None, 0.0)["enabled"] is False
    manager, _ports, clock = rig("E1", "E2", limit=32.0)
    manager.grid_sink("grid")(reading(clock, (10.0, 11.0, 12.0)))
    await manager.step()
    doc = load_doc(manager, clock.monotonic())
    assert doc["enabled"] is True
    (circuit,) = doc["circuits"]  # type: ignore[misc]
    assert circuit["id"] == "grid"
    assert circuit["limit_a"] == [32.0, 32.0, 32.0]
    assert circuit["metered"] is True
    assert circuit["measured_a"] == [10.0, 11.0, 12.0]
    assert circuit["evses"] == ["E1", "E2"]
    assert circuit["load_a"] is not None
    assert [s["evse_uid"] for s in doc["setpoints"]] == ["E1", "E2"]  # type: ignore[index,union-attr]


def test_scan_body_needs_where() -> None:
    with pytest.raises(ValidationError, match="needs device"):
        ScanBody(transport="rtu")
    with pytest.raises(ValidationError, match="needs host"):
        ScanBody(transport="tcp")
    with pytest.raises(ValidationError, match="below first_unit"):
        ScanBody(transport="tcp", host="h", first_unit=9, last_unit=3)
    with pytest.raises(ValidationError):
        ScanBody(transport="tcp", host="h", last_unit=248)


async def test_the_sites_own_buses_are_refused() -> None:
    cfg = config()
    assert site_bus_of(cfg, ScanBody(transport="rtu", device="/dev/ttyUSB0")) == "rs485"
    assert site_bus_of(cfg, ScanBody(transport="rtu", device="/dev/ttyUSB1")) is None
    assert site_bus_of(cfg, ScanBody(transport="tcp", host="10.0.0.5")) == "gw"
    assert (
        site_bus_of(cfg, ScanBody(transport="tcp", host="10.0.0.5", port=503)) is None
    )
    with pytest.raises(ApiProblem, match="is the site's own"):
        await Scanner(cfg).run(ScanBody(transport="tcp", host="10.0.0.5"), "test")
