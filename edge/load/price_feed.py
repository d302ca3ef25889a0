"""Where the prices come from: a file or an HTTP source, read again periodically.

:class:`PriceFeed` holds the last good prices. A read that fails (a missing or
broken file, an HTTP source that does not answer, answers an error or something
that is not prices) keeps them, logs the reason once per change and tries again
sooner (``RETRY_S``); prices that have run out (the last one has ended) are
dropped. Without prices every session charges as ``fast``: nothing here can
loosen a fuse limit, it only lets the plan hold cars back.

The HTTP GET itself is given (``fetch``: the composition root passes the one
HTTP client's), so this module imports no HTTP library.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from edge.config.circuits import PricesSection
from edge.load.price_plan import Price
from edge.load.prices import MAX_BYTES, PriceError, parse_document, read_prices
from edge.model.clock import Clock

log = logging.getLogger(__name__)
Fetch = Callable[[str], Awaitable[bytes]]
"""GET a URL: its body (at most ``MAX_BYTES``); raises :class:`PriceError`
naming the URL and what went wrong."""
RETRY_S = 60.0
"""After a failed read the next one comes this soon (or at ``refresh_s``)."""


class PriceFeed:
    """The last good prices of one source, and what is wrong with it, if anything."""

    def __init__(
        self, section: PricesSection, clock: Clock, fetch: Fetch | None = None
    ) -> None:
        if section.url is not None and fetch is None:
            raise ValueError("a price url needs an HTTP client (fetch)")
        self.section = section
        self.clock = clock
        self.fetch = fetch
        self.refresh_s = section.refresh_s
        self.prices: list[Price] | None = None
        self.problem: str | None = "not read yet"
        """Why the last read failed (None: it worked)."""

    @property
    def source(self) -> str:
        """The file or URL."""
        return self.section.url or self.section.file or ""

    def load(self) -> None:
        """Read a prices file now (blocking; a url is read by :meth:`refresh`)."""
        if self.section.file is None:
            raise ValueError("load() reads a file; an HTTP source is refreshed")
        try:
            self._took(read_prices(self.section.file))
        except PriceError as exc:
            self._failed(exc)

    async def refresh(self) -> bool:
        """Read the source once; whether that gave prices."""
        if self.section.file is not None:
            await asyncio.to_thread(self.load)
            return self.problem is None
        if self.fetch is None:  # refused in __init__
            raise ValueError("a price url needs an HTTP client (fetch)")
        url = self.source
        try:
            body = await self.fetch(url)
            if len(body) > MAX_BYTES:
                raise PriceError(f"{url}: larger than {MAX_BYTES} bytes")
            try:
                text = body.decode("utf-8-sig")
            except UnicodeDecodeError:
                raise PriceError(f"{url}: not UTF-8 text") from None
            self._took(parse_document(text, self.section.format, url))
        except PriceError as exc:
            self._failed(exc)
            return False
        return True

    def current(self, now: datetime) -> list[Price] | None:
        """The prices to plan with at ``now``: None once the last one has ended."""
        if self.prices is not None and max(p.end for p in self.prices) <= now:
            log.warning(
                "load: the prices from %s have run out (the last ended %s): "
                "charging as fast until new ones are read",
                self.source,
                max(p.end for p in self.prices).isoformat(),
            )
            self.prices = None
            self.problem = self.problem or "the prices have run out"
        return self.prices

    async def run(self) -> None:
        """Read the source every ``refresh_s`` (sooner after a failure)."""
        while True:
            good = await self.refresh()
            await self.clock.sleep(
                self.refresh_s if good else min(RETRY_S, self.refresh_s)
            )

    def _took(self, prices: list[Price]) -> None:
        if self.problem is not None and self.problem != "not read yet":
            log.info("load: prices from %s usable again", self.source)
        self.prices, self.problem = prices, None

    def _failed(self, exc: PriceError) -> None:
        reason = str(exc)
        if reason != self.problem:
            kept = "keeping the last good prices" if self.prices else "charging as fast"
            log.warning("load: prices unusable, %s: %s", kept, reason)
        self.problem = reason
