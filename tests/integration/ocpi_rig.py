"""A controller uplink and the simulated eMSP over real HTTP on 127.0.0.1.

Sessions are written through the sessions repository, as the EVSE controllers do,
at the current site time of a fast scaled clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from edge.config.loader import parse_config
from edge.config.schema import OcpiSection, SiteConfig
from edge.model.clock import ScaledClock
from edge.model.session import Session, SessionStatus
from edge.store import evse_status
from edge.store import sessions as repo
from edge.store.db import Database
from edge.store.outbox import OutboxStats, stats
from edge.uplink.ocpi.push import PREREQUISITES
from edge.uplink.ocpi.service import OcpiUplink
from hal_sim.backoffice.server import SimBackoffice

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def site_config(evses: int = 2, extra: str = "") -> SiteConfig:
    """A site of ``evses`` EVSEs (their hardware is never started here).

    ``extra``: more of the site file (e.g. a ``[load]`` section).
    """
    text = (
        '[site]\nname = "Depot"\ncountry_code = "NL"\nparty_id = "EXA"\n'
        'location_id = "LOC1"\naddress = "Stationsplein 1"\ncity = "Utrecht"\n'
        "latitude = 52.0894\nlongitude = 5.1101\n"
        '[[bus]]\nid = "gw"\ntransport = "tcp"\nhost = "127.0.0.1"\nport = 1502\n'
    )
    for n in range(1, evses + 1):
        text += (
            f'[[evse]]\nuid = "E{n}"\nevse_id = "NL*EXA*E{n}"\nmax_current_a = 16\n'
            f'meter = {{ bus = "gw", unit = {2 * n - 1}, model = "eastron_sdm630" }}\n'
            f'board = {{ bus = "gw", unit = {2 * n}, model = "evse_wb" }}\n'
        )
    return parse_config(text + extra)


async def until(cond: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait (wall time, as a test guard) until ``cond()`` holds."""
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


@dataclass
class Rig:
    """One controller store + uplink and one simulated eMSP."""

    tmp: Path
    clock: ScaledClock
    db: Database
    bo: SimBackoffice
    config: SiteConfig
    section: OcpiSection
    uplink: OcpiUplink | None = None
    task: asyncio.Task[None] | None = None
    meter: dict[str, int] = field(default_factory=dict)

    def new_uplink(self, **kw: Any) -> OcpiUplink:
        """A fresh uplink on the same store and credentials (a restart)."""
        return OcpiUplink(self.config, self.clock, self.db, section=self.section, **kw)

    async def start(self, **kw: Any) -> OcpiUplink:
        """Start the uplink (as Site.run would)."""
        uplink = self.uplink = self.new_uplink(**kw)
        self.task = asyncio.create_task(uplink.run())
        # registered, or the uplink failed: whichever comes first (a guard timeout)
        connected = asyncio.create_task(uplink.connected.wait())
        try:
            await asyncio.wait(
                {connected, self.task}, timeout=10.0, return_when="FIRST_COMPLETED"
            )
        finally:
            connected.cancel()
        if self.task.done():
            self.task.result()
        assert uplink.connected.is_set(), "uplink not registered in time"
        return uplink

    async def stop(self) -> None:
        """Stop the uplink as a restart or shutdown does (cancellation)."""
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            self.task = None

    async def backlog(self) -> OutboxStats:
        """The outbox now."""
        return await self.db.run(lambda db: stats(db.conn, PREREQUISITES))

    async def drained(self, timeout: float = 8.0) -> None:
        """Wait until nothing deliverable is queued."""
        end = time.monotonic() + timeout
        while True:
            st = await self.backlog()
            if all(m.queued == m.blocked for m in st.modules):
                return
            if time.monotonic() > end:
                raise AssertionError(f"backlog not drained: {st}")
            await asyncio.sleep(0.02)

    # ---- what the EVSE controllers do ----------------------------------------------
    async def start_session(
        self,
        sid: str,
        evse: str,
        token: str = "04A23B1C00",  # noqa: S107
    ) -> None:
        """Plug in and authorize: a new active session and its status."""
        now = self.clock.utcnow()
        wh = self.meter.setdefault(evse, 1_000_000)
        s = Session(
            id=sid,
            evse_uid=evse,
            token_uid=token,
            token_type="RFID",
            contract_id="NL-EXA-C00000001-X",
            auth_method="WHITELIST",
            auth_reason="local list",
            status=SessionStatus.ACTIVE,
            start=now,
            end=None,
            meter_start_wh=wh,
            meter_last_wh=wh,
            meter_stop_wh=None,
            stop_reason=None,
            last_updated=now,
        )
        await self.db.run(lambda db: repo.start_session(db, s))
        await self.db.run(
            lambda db: evse_status.set_evse_status(db, evse, "CHARGING", None, now)
        )

    async def progress(self, sid: str, evse: str, wh: int) -> None:
        """A checkpoint: energy so far."""
        self.meter[evse] += wh
        now, meter = self.clock.utcnow(), self.meter[evse]
        await self.db.run(lambda db: repo.checkpoint(db, sid, meter, now))

    async def stop_session(self, sid: str, evse: str) -> None:
        """Unplug: final state, CDR, status back to available."""
        now, meter = self.clock.utcnow(), self.meter[evse]
        await self.db.run(lambda db: repo.stop_session(db, sid, meter, now, "EV left"))
        await self.db.run(
            lambda db: evse_status.set_evse_status(db, evse, "AVAILABLE", None, now)
        )

    async def sessions(self) -> list[Session]:
        """Every session in the store."""
        return await self.db.run(repo.list_sessions)


@contextlib.asynccontextmanager
async def rig(
    tmp_path: Path,
    *,
    speed: float = 600.0,
    evses: int = 2,
    section: dict[str, Any] | None = None,
    backoffice: dict[str, Any] | None = None,
    start: bool = True,
) -> AsyncIterator[Rig]:
    """A started rig; everything stopped and closed afterwards."""
    clock = ScaledClock(speed, T0)
    db = await Database.open(tmp_path / "edge.db")
    try:
        async with SimBackoffice(clock, **(backoffice or {})) as bo:
            options = {
                "versions_url": bo.versions_url,
                "token_a": bo.token_a,
                "credentials_path": str(tmp_path / "ocpi.json"),
                "listen_port": 0,
                "retry_base_s": 5.0,
                "retry_max_s": 600.0,
                "request_timeout_s": 2.0,
                **(section or {}),
            }
            r = Rig(tmp_path, clock, db, bo, site_config(evses), OcpiSection(**options))
            try:
                if start:
                    await r.start()
                yield r
            finally:
                await r.stop()
    finally:
        await db.close()


def later(clock: ScaledClock, seconds: float) -> datetime:
    """Site time ``seconds`` from now."""
    return clock.utcnow() + timedelta(seconds=seconds)
