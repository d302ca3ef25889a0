"""The commissioning page in headless Chromium against a simulated site.

One site, one browser, the installer's path through the page: the first-boot
setup code and password, the overview with live values, a contactor test that
the simulated relay sees, its refusal while an EV is connected, the sessions,
tokens and uplink tables, the cookie's flags and the CSRF check. Each
screenshot is checked (decoded in the browser: not blank, the header's and the
cards' colours where the layout puts them) and kept in tests/e2e/screenshots/.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from hal_sim.devices.relay import SimRelay
from tests.e2e.browser import SCREENSHOTS, Browser, Page, chromium, on_picture
from tests.e2e.rig import page_site
from tests.integration.modbus_rig import LIB, rtu_line, sim_board, sim_meter

pytestmark = pytest.mark.timeout(90)
PASSWORD = "cabinet-2026"
ACCENT = (0x1F, 0x5F, 0xA8)  # page.css --accent: the header
OK = (0x1B, 0x7F, 0x3B)  # --ok: an AVAILABLE card's edge
BLUE_EDGE = ACCENT  # a CHARGING card's edge


def rs485_bus():
    """A meter on 3, a board on 5, a relay module on 7 (as tests/integration)."""
    relay = SimRelay(LIB.get("waveshare_modbus_rtu_io_8ch"), 7)
    devices = {3: sim_meter(3), 5: sim_board(5), 7: relay}
    for d in devices.values():
        d.turnaround_ms = 3
    return devices


async def until(what: str, check, timeout: float = 20.0) -> None:
    try:
        async with asyncio.timeout(timeout):
            while not await check():
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"timed out waiting for {what}") from None


async def pixels(browser: Browser, png: bytes, points: list[tuple[int, int]]):
    """The screenshot decoded by the browser: distinct colours, and RGB at points."""
    return await on_picture(
        browser,
        png,
        """const d = g.getImageData(0, 0, c.width, c.height).data;
        const seen = new Set();
        for (let i = 0; i < d.length; i += 4 * 7)
          seen.add(d[i] << 16 | d[i+1] << 8 | d[i+2]);
        const at = arg.map(([x, y]) => {
          const i = 4 * (y * c.width + x); return [d[i], d[i+1], d[i+2]]; });
        return {colours: seen.size, at, width: c.width, height: c.height};""",
        points,
    )


def near(rgb, want, tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(rgb, want, strict=True))


async def shot(page: Page, name: str) -> bytes:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def card_edge(page: Page, uid: str) -> tuple[int, int]:
    box = await page.locator(f'.evse[data-evse="{uid}"]').bounding_box()
    assert box is not None
    return int(box["x"] + 3), int(box["y"] + box["height"] / 2)


async def text(page: Page, selector: str) -> str:
    return await page.locator(selector).inner_text()


async def test_commissioning_page_in_chromium(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with page_site(tmp_path) as live, chromium() as browser:
        context = await browser.new_context(viewport={"width": 1200, "height": 900})
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on(
            "requestfailed",
            lambda r: errors.append(f"failed {r.method} {r.url}: {r.failure}"),
        )
        await page.goto(live.url + "/")
        assert page.url.endswith("/page/")

        # ---- first boot: the setup code from the data directory ----------------
        await page.locator("#setup-form").wait_for()
        code = (tmp_path / "web-setup-code").read_text().strip()
        assert code not in caplog.text
        await page.fill("#setup-code", "WRONG000")
        await page.fill("#setup-password", PASSWORD)
        await page.click("#setup-form button")
        await until(
            "the wrong code refused",
            lambda: _has_text(page, "#auth-error", "wrong setup code"),
        )
        await shot(page, "01-first-boot")
        await page.fill("#setup-code", code)
        await page.click("#setup-form button")
        await page.locator("#app").wait_for()
        assert not (tmp_path / "web-setup-code").exists()

        # ---- the cookie: HttpOnly, SameSite=Strict, not Secure without TLS ------
        cookies = await context.cookies()
        (cookie,) = (c for c in cookies if c["name"] == "edge_session")
        assert cookie["httpOnly"] is True
        assert cookie["sameSite"] == "Strict"
        assert cookie["secure"] is False
        assert await page.evaluate("document.cookie") == ""  # no script sees it

        # ---- overview: both EVSEs, live values changing ---------------------------
        await page.locator('.evse[data-evse="E2"]').wait_for()
        assert await text(page, "#site-name") == "test"
        await until("READY", lambda: _has_text(page, "#site-ready", "READY"))
        visit = live.plug_in("E2")
        await live.world.readers["E2"].present("04A23B1C00", 0.3)
        e2 = '.evse[data-evse="E2"]'
        await until("E2 charging", lambda: _has_text(page, e2 + " .status", "CHARGING"))
        first = await text(page, e2 + " .meter")
        await until("E2's meter moving", lambda: _differs(page, e2 + " .meter", first))
        second = await text(page, e2 + " .meter")
        await until("E2's meter again", lambda: _differs(page, e2 + " .meter", second))
        assert int(second.split()[0]) > int(first.split()[0])
        assert "W" in await text(page, e2 + " .power")
        await until(
            "E2's power shown",
            lambda: _matches(page, e2 + " .power", lambda t: float(t.split()[0]) > 1e3),
        )
        png = await shot(page, "02-overview-live")
        header = (5, 5)
        e1_edge = await card_edge(page, "E1")
        e2_edge = await card_edge(page, "E2")
        seen = await pixels(browser, png, [header, e1_edge, e2_edge])
        assert seen["colours"] > 30, seen  # not blank
        assert near(seen["at"][0], ACCENT), seen
        assert near(seen["at"][1], OK), seen  # E1 AVAILABLE: green edge
        assert near(seen["at"][2], BLUE_EDGE), seen  # E2 CHARGING: blue edge

        # ---- a 0 A pause: waiting for power, with its reason ----------------------
        await live.site.evses["E2"].set_current_limit(0.0, 10.0)
        waiting = "CHARGING / waiting for power: a 0 A limit (limit)"
        await until("E2 waiting", lambda: _has_text(page, e2 + " .status", waiting))
        await live.site.evses["E2"].set_current_limit(None, 10.0)
        await until(
            "E2 offered again",
            lambda: _matches(page, e2 + " .status", lambda t: "waiting" not in t),
        )

        # ---- contactor test on E1: dismissed, then confirmed ----------------------
        button = page.locator('.evse[data-evse="E1"] button.contactor-test')
        await until("E1's test allowed", lambda: button.is_enabled())
        assert await page.locator(
            '.evse[data-evse="E2"] button.contactor-test'
        ).is_disabled()  # E2 has no separate contactor
        page.once("dialog", lambda d: d.dismiss())
        await button.click()
        await asyncio.sleep(0.5)
        assert live.coil_closed_seen == []  # dismissed: nothing switched
        page.once("dialog", lambda d: d.accept())
        await button.click()
        await until(
            "the test done",
            lambda: _has_text(page, "#contactor-message", "contactor closed for"),
        )
        assert live.coil_closed_seen, "the relay's coil was never energised"
        assert not live.relay.coils[live.channel]  # and released
        assert "contactor test by page login from 127.0.0.1" in caplog.text
        await shot(page, "03-contactor-test")

        # ---- refused while an EV is connected at E1 ------------------------------
        live.plug_in("E1")
        await until(
            "E1's refusal shown",
            lambda: _has_text(
                page, '.evse[data-evse="E1"] .refusal', "an EV is connected"
            ),
        )
        assert await button.is_disabled()
        seen_before = len(live.coil_closed_seen)
        forced = await page.evaluate(
            """async () => { const r = await fetch('/page/api/contactors/E1/test', {
                 method: 'POST', headers: {'Content-Type': 'application/json',
                 'X-CSRF-Token': csrf}, body: JSON.stringify({confirm: true})});
               return [r.status, (await r.json()).message]; }"""
        )
        assert forced[0] == 409
        assert "an EV is connected" in forced[1]
        assert len(live.coil_closed_seen) == seen_before
        assert "refused: an EV is connected" in caplog.text
        await shot(page, "04-contactor-refused")

        # ---- CSRF: a POST without the page's token is refused ----------------
        no_csrf = await page.evaluate(
            """async () => { const r = await fetch('/page/api/contactors/E1/test', {
                 method: 'POST', headers: {'Content-Type': 'application/json'},
                 body: JSON.stringify({confirm: true})});
               return [r.status, (await r.json()).field]; }"""
        )
        assert no_csrf == [403, "header.X-CSRF-Token"]

        # ---- the boot-time check of site.toml, shown when it rejected a file ----
        check = tmp_path / "site-check.txt"
        check.write_text(
            "rejected /boot/site.toml\n/boot/site.toml:3: evse[0].max_current_a: "
            "must be at most 80\nkept the last good /etc/edge/site.toml\n"
        )
        assert live.site.web is not None
        live.site.web.app.state.page_site_check = check
        await page.reload()
        await until(
            "the rejection shown",
            lambda: _has_text(page, "#config-boot-note", "REJECTED"),
        )
        assert "max_current_a" in await text(page, "#config-boot")
        assert await page.locator("#load").is_hidden()  # no [load]: no load table

        # ---- a bus scan with its progress ----------------------------------
        await page.select_option("#scan-transport", "tcp")
        own = live.site.config.bus[0]
        await page.fill("#scan-host", str(own.host))
        await page.fill("#scan-port", str(own.port))
        await page.click("#scan-start")
        await until(
            "the site's own bus refused",
            lambda: _has_text(page, "#scan-status", "is the site's own"),
        )
        progress: set[float] = set()
        async with rtu_line(rs485_bus()) as line:  # an RS-485 line on a pty
            await page.select_option("#scan-transport", "rtu")
            await page.fill("#scan-device", line.path)
            await page.select_option("#scan-baud", "38400")
            await page.fill("#scan-first", "1")
            await page.fill("#scan-last", "16")
            await page.click("#scan-start")

            async def scanned() -> bool:
                progress.add(
                    await page.eval_on_selector("#scan-progress", "e => e.value")
                )
                return "done" in await text(page, "#scan-status")

            await until("the scan done", scanned, timeout=40)
        assert any(0 < v < 16 for v in progress), progress  # seen moving
        found = await text(page, "#scan-found tbody")
        assert "eastron_sdm630" in found
        assert "evse_wb" in found
        assert "16 of 16 unit(s) probed (unit 16), 3 found" in await text(
            page, "#scan-status"
        )
        assert 'model = "evse_wb"' in await text(page, "#scan-snippet")
        await page.locator("#scan").scroll_into_view_if_needed()
        png = await shot(page, "05-scan-and-site-file")
        assert (await pixels(browser, png, []))["colours"] > 30

        # ---- sessions, tokens, uplink ------------------------------------------
        await until(
            "sessions listed",
            lambda: _matches(page, "#sessions tbody", lambda t: t.count("\n") >= 5),
        )
        rows = await text(page, "#sessions tbody")
        assert "EV_DISCONNECTED" in rows
        assert "04A23B1C00" not in rows  # token uids are redacted
        tokens = await text(page, "#tokens tbody")
        assert "RFID" in tokens
        assert "****6CED" in tokens  # the site file's two cards, redacted
        assert "****1C00" in tokens
        assert "62E3086CED" not in tokens
        assert "sessions:seed-000" in await text(page, "#dead tbody")
        await page.locator("#sessions").scroll_into_view_if_needed()
        png = await shot(page, "06-tables")
        assert (await pixels(browser, png, []))["colours"] > 30

        # ---- log out; the page's API is closed; a wrong password refused --------
        await page.click("#logout")
        await page.locator("#login-form").wait_for()
        status = await page.evaluate(
            "async () => (await fetch('/page/api/v1/evses')).status"
        )
        assert status == 401
        await page.fill("#login-password", "not-the-one")
        await page.click("#login-form button")
        await until("refused", lambda: _has_text(page, "#auth-error", "wrong password"))
        await page.fill("#login-password", PASSWORD)
        await page.click("#login-form button")
        await page.locator('.evse[data-evse="E1"]').wait_for()
        live.world.site.unplug(visit)
        assert errors == []
        await context.close()


async def _has_text(page: Page, selector: str, want: str) -> bool:
    return want in await page.locator(selector).inner_text()


async def _differs(page: Page, selector: str, old: str) -> bool:
    return (await page.locator(selector).inner_text()) != old


async def _matches(page: Page, selector: str, ok) -> bool:
    try:
        return bool(ok(await page.locator(selector).inner_text()))
    except ValueError:
        return False
