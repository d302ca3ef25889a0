"""Load management, wired: the ``[load]`` tree's circuit meters feed one allocator."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from drivers.meter import ProfileMeter
from drivers.modbus.profile import ProfileLibrary
from drivers.modbus.scheduler import BusScheduler
from edge.config.schema import SiteConfig
from edge.evse.port import EvsePort
from edge.load.manager import LoadManager
from edge.load.price_feed import Fetch
from edge.load.price_source import PricePlanner
from edge.load.prices import MAX_BYTES, PriceError
from edge.load.site import site_from_config
from edge.model.clock import Clock
from edge.store.db import Database
from edge.store.departures import StoredDepartures
from edge.uplink.ocpi.client.failures import OcpiError
from edge.uplink.ocpi.client.http_client import fetch_document


@dataclass
class LoadWiring:
    """The load manager, its grid meters and the price plan feeding it."""

    manager: LoadManager
    grid_meters: dict[str, ProfileMeter]
    prices: PricePlanner | None

    async def resume(self) -> None:
        """Read the open sessions' own departures again (before :meth:`start`)."""
        if self.prices is not None:
            await self.prices.restore()

    def start(self, tg: asyncio.TaskGroup) -> None:
        """Run the allocator (and the price source) as tasks of ``tg``."""
        tg.create_task(self.manager.run(), name="load manager")
        if self.prices is not None:
            tg.create_task(self.prices.run(), name="load prices")


def http_fetch(timeout_s: float) -> Fetch:
    """The price source's GET, through the one HTTP client module."""

    async def fetch(url: str) -> bytes:
        try:
            return await fetch_document(
                url,
                timeout_s=timeout_s,
                max_bytes=MAX_BYTES,
                accept="application/json, text/csv;q=0.9",
            )
        except OcpiError as exc:
            raise PriceError(exc.reason) from exc

    return fetch


def load_from_config(
    config: SiteConfig,
    evses: Mapping[str, EvsePort],
    schedulers: Mapping[str, BusScheduler],
    profiles: ProfileLibrary,
    clock: Clock,
    db: Database,
) -> LoadWiring | None:
    """The load manager the ``[load]`` section describes, or None."""
    if config.load is None:
        return None
    tree = site_from_config(config.load, config.evse)
    manager = LoadManager(tree, evses, clock)
    grid_meters: dict[str, ProfileMeter] = {}
    for circuit in config.load.circuit:
        if (grid_ref := circuit.meter) is not None:
            grid = ProfileMeter(
                f"{circuit.id}/meter",
                profiles.get(grid_ref.model),
                grid_ref.unit,
                schedulers[grid_ref.bus],
                clock,
                config.sessions.poll_interval_s,
            )
            grid.subscribe(manager.grid_sink(circuit.id))
            grid_meters[circuit.id] = grid
    prices = None
    if (section := config.load.prices) is not None:
        tz = ZoneInfo(config.site.time_zone)
        fetch = http_fetch(section.timeout_s) if section.url is not None else None
        book = StoredDepartures(db)
        prices = PricePlanner(config.load, section, config.evse, tz, clock, fetch, book)
        manager.price_caps = prices.caps
    return LoadWiring(manager, grid_meters, prices)
