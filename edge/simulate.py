"""``edge sim``: the simulated site and the controller on one scaled clock.

With an uplink, the run ends by letting it deliver: an outage of the schedule
still going on at the end is ended, retries waiting on a backoff are made due,
and the controller keeps running until the outbox is empty (or a wall-time
budget runs out). :class:`UplinkOutcome` then says what was delivered, what is
left and what was given up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from edge.app import Overrides, Site
from edge.config.schema import SiteConfig
from edge.config.wire_floors import wire_time_floors
from edge.model.clock import ScaledClock, StallFreeClock
from edge.sim_uplink import play_outages, sim_uplink
from edge.store.db import Database
from edge.store.outbox import OutboxModule, OutboxStats, expedite, stats
from edge.uplink.ocpi.push import PREREQUISITES
from hal_sim.backoffice.server import SimBackoffice
from hal_sim.world import SimWorld

log = logging.getLogger(__name__)

DRAIN_WALL_S = 30.0
"""How long (wall seconds) the end of a run may wait for the uplink's backlog."""
READY_WALL_S = 120.0
"""How long (wall seconds) the start of a run waits for the controller to be READY."""
DELIVERED_MODULES = (
    OutboxModule.LOCATIONS,
    OutboxModule.TARIFFS,
    OutboxModule.SESSIONS,
    OutboxModule.CDRS,
)


class SimStartError(Exception):
    """The controller did not become READY, so the simulated day never began."""


@dataclass(frozen=True)
class UplinkOutcome:
    """What the OCPI uplink did in a run, once it was given time to deliver."""

    delivered: dict[str, int]
    """Objects the eMSP holds, per module (known with the simulated backoffice)."""
    acknowledged: int
    """Writes the eMSP acknowledged (every PUT and PATCH, as the sender counts)."""
    backlog: dict[str, int]
    """Objects still queued, per module (dead letters excluded)."""
    dead_letters: list[str]
    """Keys of the objects given up (rejected by the eMSP)."""
    backoffice: dict[str, object] | None = None
    """The simulated backoffice's own summary, when it ran."""

    @property
    def left(self) -> int:
        """Objects still to deliver."""
        return sum(self.backlog.values())

    def as_json(self) -> dict[str, object]:
        """The outcome as JSON-ready data (``backlog`` is the total left)."""
        out: dict[str, object] = {
            "delivered": dict(self.delivered),
            "acknowledged": self.acknowledged,
            "backlog": self.left,
            "backlog_by_module": dict(self.backlog),
            "dead_letters": len(self.dead_letters),
            "dead_letter_keys": list(self.dead_letters),
        }
        if self.backoffice is not None:
            out["backoffice"] = self.backoffice
        return out


def uplink_outcome(
    st: OutboxStats, acknowledged: int, backoffice: SimBackoffice | None
) -> UplinkOutcome:
    """Assemble the outcome from the outbox, the sender and the backoffice."""
    received = None if backoffice is None else backoffice.summary()
    delivered: dict[str, int] = {}
    if received is not None:
        for module in DELIVERED_MODULES:
            count = received.get(module, 0)
            if isinstance(count, dict):  # sessions: by status
                count = sum(int(n) for n in count.values())
            delivered[module] = int(count) if isinstance(count, int) else 0
    return UplinkOutcome(
        delivered=delivered,
        acknowledged=acknowledged,
        backlog={m.module: m.queued for m in st.modules if m.queued},
        dead_letters=[d.key for d in st.dead_letters],
        backoffice=received,
    )


@dataclass(frozen=True)
class SimResult:
    """What a simulated run did, from the physics' point of view."""

    truth: list[dict[str, object]]
    duration_s: float
    outcome: UplinkOutcome | None = None
    """What the OCPI uplink delivered and left; None without an uplink."""
    ready_at: datetime | None = None
    """Site time the controller was READY and the schedule began."""

    @property
    def uplink(self) -> dict[str, object] | None:
        """The uplink's outcome as JSON-ready data (:meth:`UplinkOutcome.as_json`)."""
        return None if self.outcome is None else self.outcome.as_json()


async def drain_uplink(
    site: Site, db: Database, clock: ScaledClock, wall_s: float
) -> OutboxStats:
    """Let the running uplink deliver its backlog; return the outbox afterwards.

    Retries waiting on a backoff are made due now, so that a link that came back
    late in the run does not leave objects behind only because of their timers.
    """
    end = clock.monotonic() + clock.from_wall(wall_s)
    await db.run(lambda d: expedite(d.conn, clock.utcnow()))
    site.uplink_wake.set()
    while True:
        st = await db.run(lambda d: stats(d.conn, PREREQUISITES))
        if st.live == 0 or clock.monotonic() > end:
            return st
        await clock.sleep(clock.from_wall(0.1))


async def wait_ready(site: Site, wall_s: float) -> None:
    """Wait until ``site`` is READY; raise :class:`SimStartError` after ``wall_s``."""
    try:
        async with asyncio.timeout(wall_s):
            await site.ready.wait()
    except TimeoutError:
        raise SimStartError(
            f"the controller was not ready after {wall_s:g} s (wall time); still "
            f"waiting for: {', '.join(site.ready.pending)}. Check those parts of "
            "the site file, or run `edge -v sim ...` to see why they did not come up"
        ) from None


def free_ocpp_port(config: SiteConfig) -> SiteConfig:
    """The site file, its OCPP server on a port picked at run time.

    ``edge sim`` runs the chargers itself: they connect to wherever the server
    listens, and a second simulation (or ``edge run``) may hold the port.
    """
    ocpp = config.ocpp
    if ocpp is None or not ocpp.enabled:
        return config
    section = ocpp.model_copy(update={"listen_port": 0})
    return config.model_copy(update={"ocpp": section})


def ocpp_url(site: Site) -> Callable[[str], str]:
    """Where a simulated charger connects to the site's central system."""

    def url(identity: str) -> str:
        server = site.ocpp_server
        if server is None or site.config.ocpp is None:
            raise RuntimeError("the OCPP server is not listening")
        return server.url(site.config.ocpp.listen_host, identity)

    return url


async def simulate(
    config: SiteConfig,
    db_path: Path,
    speed: float,
    duration_s: float,
    on_tick: Callable[[Site, ScaledClock], None] | None = None,
    tick_wall_s: float = 0.25,
    truth_path: Path | None = None,
) -> SimResult:
    """Run the site for ``duration_s`` of site time at ``speed``; return the truth.

    The simulated devices answer from the start, but the EVs' schedule (and the
    uplink's outages, and ``duration_s``) begin only once the controller is
    READY (:attr:`Site.ready`): its card readers open, every device polled once,
    its uplink registered or known offline. Raises :class:`SimStartError` if
    that takes more than ``READY_WALL_S`` of wall time.
    """
    start = config.sim.start if config.sim and config.sim.start else datetime.now(UTC)
    # one process runs the world and the controller: a stall of that process
    # (a busy machine) must not become minutes of site time neither could act in
    clock = StallFreeClock(speed, start.astimezone(UTC))
    config = free_ocpp_port(wire_time_floors(config, clock))
    world = SimWorld(config, clock, truth_path=truth_path)
    endpoints = await world.start()
    overrides = Overrides(
        endpoints=dict(endpoints.modbus), rfid_ports=dict(endpoints.rfid)
    )
    uplink_stack = contextlib.AsyncExitStack()
    config, backoffice = await uplink_stack.enter_async_context(
        sim_uplink(config, clock, db_path)
    )
    db = await Database.open(db_path)
    site = Site(config, clock, db, overrides)
    outcome: UplinkOutcome | None = None
    try:
        async with clock.ticking(), asyncio.TaskGroup() as tg:
            world_task = tg.create_task(
                world.run(start_when=site.ready.wait, ocpp_url=ocpp_url(site)),
                name="sim world",
            )
            site_task = tg.create_task(site.run(), name="controller")
            await wait_ready(site, READY_WALL_S)
            outages = None
            if backoffice is not None:
                outages = tg.create_task(
                    play_outages(backoffice, clock, config), name="uplink outages"
                )
            deadline = clock.monotonic() + duration_s
            while clock.monotonic() < deadline:
                if on_tick is not None:
                    on_tick(site, clock)
                await clock.sleep(
                    min(clock.from_wall(tick_wall_s), deadline - clock.monotonic())
                )
            if on_tick is not None:
                on_tick(site, clock)
            if backoffice is not None and outages is not None:
                outages.cancel()
                link = backoffice.link
                if link is not None and not link.is_up:
                    await backoffice.outage(False)  # an outage past the end ends
            if site.uplink is not None:  # let the uplink deliver what is queued
                st = await drain_uplink(site, db, clock, DRAIN_WALL_S)
                sent = site.uplink.sender.stats.delivered
                outcome = uplink_outcome(st, sent, backoffice)
            world_task.cancel()
            site_task.cancel()
    finally:
        with contextlib.suppress(Exception):
            await world.close()
        await db.close()
        await uplink_stack.aclose()
    return SimResult(world.site.truth, duration_s, outcome, site.ready.ready_at)
