"""The commissioning page of a real ``edge sim`` process, in headless Chromium.

``edge sim`` runs a site file with a ``[web]`` table: the page it serves takes
the setup code the process wrote beside its database, and shows an EV that the
simulated world plugs in charging, its meter moving. The site has load
management (a metered grid connection and a carport below it whose L1 breaker
leaves E1 less than its car asks for): the page's load table shows each
circuit's per-phase load against its limit and E1's allocated current.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.e2e.browser import SCREENSHOTS, chromium, on_picture
from tests.e2e.test_page import near, pixels, shot, until
from tests.integration.processes import start, stop
from tests.integration.sites import arrival, free_port, site_file

pytestmark = pytest.mark.timeout(90)
GRID_UNIT = 100
# The carport's L1 is rated 12 A: with the 1 A margin E1's car (3 phases, asks
# for 16 A) is allowed 11 A on every phase; the grid connection carries the
# simulated house load on top of it.
LOAD = f"""
[load]
margin_a = 1.0
[[load.circuit]]
id = "main"
limit_a = 25
meter = {{ bus = "gw", unit = {GRID_UNIT}, model = "eastron_sdm630" }}
[[load.circuit]]
id = "carport"
parent = "main"
limit_a = [12, 25, 25]
[[load.evse]]
uid = "E1"
circuit = "carport"
[[load.evse]]
uid = "E2"
circuit = "carport"
"""


async def test_edge_sim_serves_the_page_with_live_values(tmp_path: Path) -> None:
    port = free_port()
    site = site_file(
        tmp_path,
        arrival("ev1", "E1", "04A23B1C00", 0.5, 600, 40_000),
        evses=2,
        extra=f"[web]\nlisten_port = {port}\n" + LOAD,
    )
    db = tmp_path / "x.db"
    args = ["edge", "sim", "--config", str(site), "--db", str(db), "--quiet"]
    args += ["--no-ocpi", "--speed", "10", "--duration", "1d"]
    log = tmp_path / "sim.log"
    proc = start(args, log)
    try:
        code_file = tmp_path / "web-setup-code"
        await until("the setup code", lambda: _exists(code_file), timeout=40)
        async with chromium() as browser:
            page = await browser.new_page(viewport={"width": 1200, "height": 800})
            url = f"http://127.0.0.1:{port}/"
            await until("the page served", lambda: _goto(page, url), timeout=40)
            await page.locator("#setup-form").wait_for()
            await page.fill("#setup-code", code_file.read_text().strip())
            await page.fill("#setup-password", "installer-pw")
            await page.click("#setup-form button")
            e1 = '.evse[data-evse="E1"]'
            await page.locator(e1).wait_for()
            await until(
                "E1 charging",
                lambda: _text_has(page, e1 + " .status", "CHARGING / CHARGING"),
                timeout=40,
            )
            first = await page.locator(e1 + " .meter").inner_text()
            await until(
                "E1's meter moving",
                lambda: _text_differs(page, e1 + " .meter", first),
            )
            png = await shot(page, "07-edge-sim-process")
            box = await page.locator(e1).bounding_box()
            assert box is not None
            edge = (int(box["x"] + 3), int(box["y"] + box["height"] / 2))
            seen = await pixels(browser, png, [edge])
            assert seen["colours"] > 30
            assert near(seen["at"][0], (0x1F, 0x5F, 0xA8))  # CHARGING: blue edge
            await _load_per_circuit(browser, page)
    finally:
        stop(proc)
    assert "Traceback" not in log.read_text()


async def _load_per_circuit(browser, page) -> None:
    """The load table's values, and its screenshot with the circuit rows in it."""
    carport = '#circuits tr:has(td:text-is("carport"))'
    await until(
        "E1 allotted 11 A on the carport",
        lambda: _text_has(page, carport, "11.0 / 12"),
        timeout=20,
    )
    cells = await _row(page, carport)
    no_meter = "\N{EN DASH}"
    assert cells == [
        "carport",
        "11.0 / 12",
        "11.0 / 25",
        "11.0 / 25",
        no_meter,
        "E1, E2",
    ]
    main = await _row(page, '#circuits tr:has(td:text-is("main (metered)"))')
    assert main[5] == "E1, E2"
    for cell in main[1:4]:  # the house load on top of E1's 11 A, within 25 A
        load, limit = cell.split(" / ")
        assert limit == "25"
        assert 11.0 < float(load) <= 24.0, main
    measured = [float(a) for a in main[4].split(" / ")]  # the grid meter's reading
    assert all(a > 0.0 for a in measured), main
    e1 = await _row(page, '#setpoints tr:has(td:text-is("E1"))')
    assert e1[:3] == ["E1", "carport", "11.0"]
    e2 = await _row(page, '#setpoints tr:has(td:text-is("E2"))')
    assert e2[:2] == ["E2", "carport"]
    assert await page.locator("#failsafe").is_hidden()
    section = page.locator("#load")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    png = await section.screenshot(path=str(SCREENSHOTS / "08-load-per-circuit.png"))
    box = await section.bounding_box()
    row = await page.locator(carport).bounding_box()
    assert box is not None
    assert row is not None
    # Not blank, and the carport row is in the picture and drawn: dark (text)
    # pixels inside its box.
    where = {
        "x": row["x"] - box["x"],
        "y": row["y"] - box["y"],
        "width": row["width"],
        "height": row["height"],
    }
    seen = await _picture(browser, png, where)
    assert seen["colours"] > 30, seen
    assert where["y"] >= 0, where
    assert where["y"] + where["height"] <= seen["height"], (where, seen)
    assert seen["ink"] > 0.01, seen


async def _row(page, selector: str) -> list[str]:
    return [t.strip() for t in await page.locator(selector + " td").all_inner_texts()]


async def _picture(browser, png: bytes, box):
    """The screenshot decoded: its colours, height, and the dark share in ``box``."""
    return await on_picture(
        browser,
        png,
        """const all = g.getImageData(0, 0, c.width, c.height).data;
        const seen = new Set();
        for (let i = 0; i < all.length; i += 4)
          seen.add(all[i] << 16 | all[i+1] << 8 | all[i+2]);
        const d = g.getImageData(arg.x, arg.y, arg.width, arg.height).data;
        let dark = 0;
        for (let i = 0; i < d.length; i += 4)
          if (d[i] + d[i+1] + d[i+2] < 3 * 100) dark++;
        return {colours: seen.size, height: c.height, ink: dark / (d.length / 4)};""",
        {k: int(v) for k, v in box.items()},
    )


async def _exists(path: Path) -> bool:
    return path.is_file()


async def _goto(page, url: str) -> bool:
    try:
        await page.goto(url)
    except Exception:  # noqa: BLE001 - not listening yet
        await asyncio.sleep(0.2)
        return False
    return True


async def _text_has(page, selector: str, want: str) -> bool:
    return want in await page.locator(selector).inner_text()


async def _text_differs(page, selector: str, old: str) -> bool:
    return await page.locator(selector).inner_text() != old
