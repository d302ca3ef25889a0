"""Start a site file's simulated hardware: Modbus listeners, card readers on ptys.

Used by ``hal-sim serve`` (its own process) and by ``edge sim`` (in-process).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from edge.config.schema import SiteConfig
from edge.model.clock import Clock
from hal_sim.devices.rfid import SimRfidReader
from hal_sim.modbus.server import ModbusTcpSim
from hal_sim.pty import PtyPair, open_pty_pair
from hal_sim.site import SimSite

log = logging.getLogger(__name__)


@dataclass
class Endpoints:
    """Where each simulated thing can be reached."""

    tcp: dict[str, tuple[str, int]] = field(default_factory=dict)
    """Bus id -> (host, port)."""
    rfid: dict[str, str] = field(default_factory=dict)
    """EVSE uid -> serial device path of its card reader."""


class SimWorld:
    """The simulated devices of one site, reachable over real transports."""

    def __init__(
        self,
        config: SiteConfig,
        clock: Clock,
        truth_path: Path | None = None,
        *,
        fixed_ports: bool = False,
        link_rfid: bool = False,
    ) -> None:
        self.config = config
        self.clock = clock
        self.site = SimSite(config, clock, truth_path=truth_path)
        self.fixed_ports = fixed_ports
        self.link_rfid = link_rfid
        self.servers: dict[str, ModbusTcpSim] = {}
        self.ptys: dict[str, PtyPair] = {}
        self.readers: dict[str, SimRfidReader] = {}
        self.endpoints = Endpoints()
        self._links: list[Path] = []

    async def start(self) -> Endpoints:
        """Open every listener and pty; return where they are."""
        host = self.config.sim.host if self.config.sim else "127.0.0.1"
        for bus in self.config.bus:
            if bus.transport != "tcp":
                raise NotImplementedError(
                    f"bus {bus.id}: simulated {bus.transport} comes later"
                )
            port = bus.port if self.fixed_ports and bus.port else 0
            server = ModbusTcpSim(
                self.site.buses[bus.id].devices,
                host,
                port,
                before_request=self.site.step,
            )
            bound = await server.start()
            self.servers[bus.id] = server
            self.endpoints.tcp[bus.id] = (host, bound)
        for evse in self.config.evse:
            if evse.rfid is None:
                continue
            pair = open_pty_pair()
            self.ptys[evse.uid] = pair
            reader = SimRfidReader(evse.rfid.kind, pair.master_fd, self.clock)
            self.readers[evse.uid] = reader
            self.site.channels[evse.uid].reader = reader
            path = pair.slave_path
            if self.link_rfid and evse.rfid.port.startswith("/"):
                link = Path(evse.rfid.port)
                link.parent.mkdir(parents=True, exist_ok=True)
                with contextlib.suppress(FileNotFoundError):
                    link.unlink()
                os.symlink(pair.slave_path, link)
                self._links.append(link)
                path = str(link)
            self.endpoints.rfid[evse.uid] = path
        return self.endpoints

    def describe(self) -> list[str]:
        """One line per device: `<device id> <model> <endpoint> unit <id>`."""
        lines = []
        for evse in self.config.evse:
            for kind, ref in (("meter", evse.meter), ("board", evse.board)):
                host, port = self.endpoints.tcp[ref.bus]
                lines.append(
                    f"{evse.uid}/{kind} {ref.model} tcp://{host}:{port} unit {ref.unit}"
                )
            if evse.rfid is not None and evse.uid in self.endpoints.rfid:
                lines.append(
                    f"{evse.uid}/rfid {evse.rfid.kind} serial:{self.endpoints.rfid[evse.uid]}"
                )
        return lines

    async def run(self, start_offset_s: float = 0.0) -> None:
        """Run the readers and the EV schedule until cancelled."""
        async with asyncio.TaskGroup() as tg:
            for uid, reader in self.readers.items():
                if reader.kind == "pn532":
                    tg.create_task(reader.run(), name=f"sim rfid {uid}")
            tg.create_task(self.site.run_schedule(start_offset_s), name="sim schedule")
            tg.create_task(self._tick(), name="sim physics")

    async def _tick(self) -> None:
        while True:
            self.site.step()
            await self.clock.sleep(5.0)

    async def close(self) -> None:
        """Close listeners, ptys and links."""
        for server in self.servers.values():
            await server.close()
        for pair in self.ptys.values():
            pair.close()
        for link in self._links:
            with contextlib.suppress(FileNotFoundError):
                link.unlink()
