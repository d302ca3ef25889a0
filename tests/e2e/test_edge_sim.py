"""The commissioning page of a real ``edge sim`` process, in headless Chromium.

``edge sim`` runs a site file with a ``[web]`` table: the page it serves takes
the setup code the process wrote beside its database, and shows an EV that the
simulated world plugs in charging, its meter moving.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.e2e.browser import chromium
from tests.e2e.test_page import near, pixels, shot, until
from tests.integration.processes import start, stop
from tests.integration.sites import arrival, free_port, site_file

pytestmark = pytest.mark.timeout(90)


async def test_edge_sim_serves_the_page_with_live_values(tmp_path: Path) -> None:
    port = free_port()
    site = site_file(
        tmp_path,
        arrival("ev1", "E1", "04A23B1C00", 0.5, 600, 40_000),
        evses=2,
        extra=f"[web]\nlisten_port = {port}\n",
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
    finally:
        stop(proc)
    assert "Traceback" not in log.read_text()


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
