"""Headless Chromium for the page's end-to-end tests: Debian's, driven by Playwright.

The one importer of playwright. The browser is ``/usr/bin/chromium`` (Debian's
package ``chromium``, installed by ``./dev test``), never a downloaded build; a
missing one fails the test with what to install. The flags keep it off the
network (no component updates, no sync, no background fetches: this machine's
closed network refuses them); Playwright's launch gives it a fresh profile
(a new temporary user-data-dir, removed at close).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

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

__all__ = ["CHROMIUM", "SCREENSHOTS", "Browser", "Page", "chromium"]


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
