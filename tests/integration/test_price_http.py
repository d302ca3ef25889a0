"""Prices from a real HTTP server on loopback: the aWATTar shape, failures kept apart.

The server is the standard library's, in a thread, answering what each test
scripts; the controller's side is the real one (the wiring's GET through the one
httpx module, the feed, the planner). Time of the feed's loop is a ManualClock.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import ValidationError

from edge.config.circuits import (
    PricesSection,
)
from edge.evse.port import RunningSession
from edge.load.allocator import Why
from edge.load.manager import LoadManager
from edge.load.price_feed import RETRY_S, PriceFeed
from edge.load.price_plan import HOUR, Price, Unplanned, Wait
from edge.load.price_source import PricePlanner
from edge.model.clock import ManualClock
from edge.wiring.load import http_fetch
from tests.unit.load.manager_rig import FakePort, reading, site
from tests.unit.load.test_price_source import EVENING, T0, one_evse_planner


@dataclass
class Script:
    """What the server answers next, and what it was asked."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    paths: list[str] = field(default_factory=list)


def awattar(prices: list[float], t0: datetime = T0, unit: str = "Eur/MWh") -> bytes:
    ms = int(t0.timestamp() * 1000)
    data = [
        {
            "start_timestamp": ms + k * 3_600_000,
            "end_timestamp": ms + (k + 1) * 3_600_000,
            "marketprice": p * 1000 if unit.endswith("MWh") else p,
            "unit": unit,
        }
        for k, p in enumerate(prices)
    ]
    return json.dumps({"object": "list", "data": data}).encode()


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            script.paths.append(self.path)
            self.send_response(script.status)
            for name, value in script.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(script.body)))
            self.end_headers()
            self.wfile.write(script.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1/marketdata", script
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def section(url: str, **keys: object) -> PricesSection:
    return PricesSection.model_validate({"url": url, **keys})


def planner(prices: PricesSection, clock: ManualClock) -> PricePlanner:
    return one_evse_planner(prices, clock, http_fetch(5.0))


async def test_awattar_prices_from_a_url_plan_the_cheapest_hours(
    server: tuple[str, Script],
) -> None:
    url, script = server
    script.body = awattar(EVENING)
    clock = ManualClock(T0)
    plans = planner(section(url), clock)
    mgr = LoadManager(
        site("A", limit=40.0), {"A": (port := FakePort("A", clock))}, clock
    )
    mgr.price_caps = plans.caps
    assert await plans.feed.refresh()
    assert script.paths == ["/v1/marketdata"]
    # Eur/MWh in the answer, per kWh in the plan
    assert plans.prices is not None
    assert plans.prices[:2] == [Price(T0, 0.40), Price(T0 + HOUR, 0.35)]
    port.log = []
    port.session = RunningSession("s1", "AA", None, T0, 0, 0)
    port.drawn = (0.0, 0.0, 0.0)
    mgr.grid_sink("grid")(reading(clock, (5.0, 5.0, 5.0)))
    out = await mgr.step()
    assert out.setpoints["A"].why is Why.WAITING_FOR_CHEAP_HOUR
    assert plans.plans["A"] == Wait(T0 + 6 * HOUR)


async def test_a_failing_source_keeps_the_last_good_prices_until_they_run_out(
    server: tuple[str, Script], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "edge.load")
    url, script = server
    clock = ManualClock(T0)
    plans = planner(section(url), clock)
    script.body = awattar(EVENING[:14])  # 18:00 to 08:00 local
    assert await plans.feed.refresh()
    good = plans.prices
    for status, body, said in [
        (503, b"busy", f"GET {url}: HTTP 503"),
        (200, b"<html>", f"{url}: not valid JSON"),
        (200, b'{"data": [{"start_timestamp": "x"}]}',
         f"{url} data[0].start_timestamp: milliseconds since 1970"),
        (302, b"", f"GET {url}: HTTP 302 redirect to 'https://elsewhere.example/'"),
    ]:  # fmt: skip
        script.status, script.body = status, body
        script.headers = (
            {"Location": "https://elsewhere.example/"} if status == 302 else {}
        )
        assert not await plans.feed.refresh()
        assert plans.problem is not None
        assert plans.problem.startswith(said), plans.problem
        assert plans.prices == good  # kept
    warned = [
        r.getMessage() for r in caplog.records if "keeping the last good" in r.message
    ]
    assert len(warned) == 4, warned
    port = FakePort("A", clock)
    port.session = RunningSession("s1", "AA", None, T0, 0, 0)
    plans.caps({"A": port.view()}, clock.utcnow())
    assert isinstance(plans.plans["A"], Wait)  # still planned by the kept prices
    # 08:00 local the next day: the kept prices have all ended
    clock.advance(14 * 3600.0)
    plans.caps({"A": port.view()}, clock.utcnow())
    plan = plans.plans["A"]
    assert isinstance(plan, Unplanned)
    assert plan.reason.startswith("no prices (GET "), plan
    assert plans.prices is None


async def test_no_answer_at_all_names_the_url() -> None:
    dead = "http://127.0.0.1:9/v1/marketdata"  # discard port: nothing listens
    plans = planner(section(dead), ManualClock(T0))
    assert not await plans.feed.refresh()
    assert plans.problem is not None
    assert plans.problem.startswith(f"GET {dead}: ConnectError"), plans.problem
    assert plans.prices is None


async def test_the_feed_retries_sooner_after_a_failure(
    server: tuple[str, Script],
) -> None:
    url, script = server
    script.status = 500
    clock = ManualClock(T0)
    feed = PriceFeed(section(url, refresh_s=900), clock, http_fetch(5.0))
    task = asyncio.create_task(feed.run())

    async def asked(n: int) -> None:
        async with asyncio.timeout(10):  # a wall guard only
            while len(script.paths) < n or feed.problem == "not read yet":
                await asyncio.sleep(0.01)

    try:
        await asked(1)
        script.status, script.body = 200, awattar(EVENING)
        clock.advance(RETRY_S)
        await asked(2)
        async with asyncio.timeout(10):
            while feed.prices is None:
                await asyncio.sleep(0.01)
        clock.advance(RETRY_S)  # a good read waits refresh_s, not RETRY_S
        await asyncio.sleep(0.2)
        assert len(script.paths) == 2
        clock.advance(900 - RETRY_S)
        await asked(3)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"url": "http://prices.example/v1"}, "url: plain http to prices.example"),
        ({"url": "ftp://prices.example/v1"}, "url: ftp: URLs are not allowed"),
        ({"url": "https://u:p@prices.example/"}, "url: URLs with a user name"),
        ({"url": "https://a/", "file": "p.csv"}, "give the prices a file or a url"),
        ({}, "give the prices a file or a url"),
        ({"file": "p.csv", "format": "csv"}, "format is for a url"),
        ({"url": "https://a/", "format": "xml"}, "Input should be 'awattar'"),
    ],
)
def test_a_price_url_is_https_unless_loopback(
    keys: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        PricesSection.model_validate(keys)
    assert message in str(caught.value), caught.value


def test_plain_http_is_allowed_to_this_machine_or_when_insecure() -> None:
    assert section("http://127.0.0.1:8080/p").url == "http://127.0.0.1:8080/p"
    assert section("http://localhost/p").format == "awattar"
    assert section("https://api.awattar.de/v1/marketdata").timeout_s == 10.0
    lab = section("http://192.0.2.7/p", insecure=True, format="csv")
    assert lab.insecure
    assert lab.format == "csv"
