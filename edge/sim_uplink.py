"""The simulated backoffice inside ``edge sim``: start it, point the uplink at it.

Also plays the scheduled outages. (The end of the run, waiting for the
uplink's backlog, is in :mod:`edge.simulate`.)

An ``[ocpi]`` section without ``versions_url`` gets a simulated eMSP (``edge sim``
adds one when the site file has none); with ``versions_url`` (or ``edge sim
--ocpi-versions-url``) the uplink talks to that backoffice instead; without the
section, or with ``enabled = false``, the run has no uplink.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from edge.config.schema import OcpiSection, SiteConfig
from edge.model.clock import ScaledClock
from hal_sim.backoffice.server import SimBackoffice

log = logging.getLogger(__name__)
DEFAULT_CREDENTIALS = OcpiSection().credentials_path


@contextlib.asynccontextmanager
async def sim_uplink(
    config: SiteConfig, clock: ScaledClock, db_path: Path
) -> AsyncIterator[tuple[SiteConfig, SimBackoffice | None]]:
    """The site config for the run, and the simulated backoffice if one runs."""
    section = config.ocpi
    if section is None or not section.enabled:
        yield config, None
        return
    update: dict[str, object] = {"listen_port": 0}
    if section.credentials_path == DEFAULT_CREDENTIALS:
        update["credentials_path"] = str(db_path.with_suffix(".ocpi.json"))
    if section.versions_url:
        yield (
            config.model_copy(update={"ocpi": section.model_copy(update=update)}),
            None,
        )
        return
    async with SimBackoffice(clock) as backoffice:
        update.update(versions_url=backoffice.versions_url, token_a=backoffice.token_a)
        log.info("uplink to the simulated backoffice at %s", backoffice.versions_url)
        yield (
            config.model_copy(update={"ocpi": section.model_copy(update=update)}),
            backoffice,
        )


async def play_outages(
    backoffice: SimBackoffice, clock: ScaledClock, config: SiteConfig
) -> None:
    """Take the backoffice's link down and up again as ``[[ocpi.sim_outage]]`` says."""
    section = config.ocpi or OcpiSection()
    t0 = clock.monotonic()
    for outage in sorted(section.sim_outage, key=lambda o: o.start_min):
        await clock.sleep(t0 + outage.start_min * 60 - clock.monotonic())
        log.warning("simulated uplink outage for %g min", outage.duration_min)
        await backoffice.outage(True)
        await clock.sleep(outage.duration_min * 60)
        await backoffice.outage(False)
        log.warning("simulated uplink outage over")
