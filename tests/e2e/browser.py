"""Headless Chromium for the page's end-to-end tests: Debian's, driven by Playwright.

The one importer of playwright. The browser is ``/usr/bin/chromium`` (Debian's
package ``chromium``, installed by ``./dev test``), never a downloaded build; a
missing one fails the test with what to install. The flags keep it off the
network (no component updates, no sync, no background fetches: this machine's
closed network refuses them); Playwright's launch gives it a fresh profile
(a new temporary user-data-dir, removed at close).
"""

from __future__ import annotations

import base64
import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, async_playwright

CHROMIUM = os.environ.get("EDGE_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]

__all__ = ["CHROMIUM", "SCREENSHOTS", "Browser", "Page", "chromium", "on_picture"]


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, with a fresh profile."""
    if not Path(CHROMIUM).is_file():
        raise RuntimeError(
            f"{CHROMIUM} is missing: the page tests need Debian's chromium "
            "(apt-get install chromium chromium-driver; ./dev test does it)"
        )
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=FLAGS
        )
        try:
            yield browser
        finally:
            await browser.close()


async def on_picture(browser: Browser, png: bytes, body: str, arg: object) -> Any:
    """Run ``body`` on a screenshot decoded by the browser, in a blank page.

    ``body`` is JavaScript that sees the picture on a canvas ``c`` (its 2D
    context ``g``) and ``arg``, and returns what the test asks of it.
    """
    page = await browser.new_page()
    try:
        data = "data:image/png;base64," + base64.b64encode(png).decode()
        return await page.evaluate(
            """async ([src, body, arg]) => {
              const img = new Image(); img.src = src; await img.decode();
              const c = document.createElement("canvas");
              c.width = img.width; c.height = img.height;
              const g = c.getContext("2d"); g.drawImage(img, 0, 0);
              return new Function("c", "g", "arg", body)(c, g, arg);
            }""",
            [data, body, arg],
        )
    finally:
        await page.close()
