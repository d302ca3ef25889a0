"""Start a site file's simulated hardware: Modbus buses, card readers on ptys.

A ``tcp`` bus is a Modbus TCP listener, an ``rtu-over-tcp`` bus a gateway
listener speaking RTU frames with its serial line's timing, an ``rtu`` bus one
simulated RS-485 line on a pty pair (:class:`hal_sim.modbus.rtu.RtuLineSim`).
Used by ``hal-sim serve`` (its own process, ``fixed_ports``: the configured TCP
ports, and the configured serial ``device`` paths as symlinks to the ptys) and
by ``edge sim`` (in-process, any free port, the pty paths as they are).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from drivers.modbus.client import Endpoint
from drivers.modbus.wire import LineTiming
from edge.config.schema import BusSection, SimSection, SiteConfig
from edge.model.clock import Clock
from hal_sim.devices.rfid import SimRfidReader
from hal_sim.modbus.framing import Framing
from hal_sim.modbus.rtu import RtuLineSim
from hal_sim.modbus.server import ModbusTcpSim
from hal_sim.ocpp.sim_charger import SimOcppCharger, UrlFor
from hal_sim.ocpp.sim_station_201 import SimOcppStation
from hal_sim.pty import PtyPair, open_pty_pair
from hal_sim.schedule import Visit, build_schedule
from hal_sim.site import SimSite

log = logging.getLogger(__name__)


@dataclass
class Endpoints:
    """Where each simulated thing can be reached."""

    tcp: dict[str, tuple[str, int]] = field(default_factory=dict)
    """Modbus TCP bus id -> (host, port)."""
    rtu: dict[str, str] = field(default_factory=dict)
    """RTU bus id -> serial device path (the configured link, or the pty)."""
    gateways: dict[str, tuple[str, int]] = field(default_factory=dict)
    """RTU-over-TCP bus id -> (host, port)."""
    modbus: dict[str, Endpoint] = field(default_factory=dict)
    """Bus id -> the endpoint a driver uses to reach it."""
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
        self.lines: dict[str, RtuLineSim] = {}
        self.ptys: dict[str, PtyPair] = {}
        self.readers: dict[str, SimRfidReader] = {}
        self.endpoints = Endpoints()
        self._links: list[Path] = []
        self.chargers: list[SimOcppCharger | SimOcppStation] = []
        """The site file's OCPP chargers, simulated (they connect in :meth:`run`)."""
        ocpp, sim = config.ocpp, config.sim
        if ocpp is not None and ocpp.enabled:
            start_wh = (sim.meter_start_wh if sim else 1_000_000) + 500_000
            self.chargers = [  # 1.6J: SimChargePoint; 2.0.1: SimChargingStation
                (SimOcppCharger if c.protocol == "ocpp1.6" else SimOcppStation)(
                    c, clock, start_wh + n * 7_919, self.site.truth_log
                )
                for n, c in enumerate(ocpp.charger)
            ]
        uids = [uid for c in self.chargers for uid in c.outlets]
        self.ocpp_schedule = [] if sim is None else ocpp_schedule(sim, uids)
        """The EV visits at the OCPP chargers' connectors."""

    async def start(self) -> Endpoints:
        """Open every listener and pty; return where they are."""
        host = self.config.sim.host if self.config.sim else "127.0.0.1"
        for bus in self.config.bus:
            if bus.transport == "rtu":
                await self._start_line(bus)
            else:
                await self._start_listener(bus, host)
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
                path = self._link(Path(evse.rfid.port), path)
            self.endpoints.rfid[evse.uid] = path
        return self.endpoints

    async def _start_listener(self, bus: BusSection, host: str) -> None:
        port = bus.port if self.fixed_ports and bus.port else 0
        gateway = bus.transport == "rtu-over-tcp"
        server = ModbusTcpSim(
            self.site.buses[bus.id].devices,
            host,
            port,
            before_request=self.site.step,
            framing=Framing.RTU if gateway else Framing.TCP,
            line=_timing(bus) if gateway else None,
        )
        bound = await server.start()
        self.servers[bus.id] = server
        (self.endpoints.gateways if gateway else self.endpoints.tcp)[bus.id] = (
            host,
            bound,
        )
        self.endpoints.modbus[bus.id] = Endpoint(
            bus.transport,
            host=host,
            port=bound,
            baud=bus.baud,
            parity=bus.parity,
            stopbits=bus.stopbits,
            timeout_s=bus.timeout_ms / 1000,
            retries=bus.retries,
        )

    async def _start_line(self, bus: BusSection) -> None:
        line = RtuLineSim(
            self.site.buses[bus.id].devices, _timing(bus), before_request=self.site.step
        )
        path = await line.start()
        self.lines[bus.id] = line
        if self.fixed_ports and bus.device:
            path = self._link(Path(bus.device), path)
        self.endpoints.rtu[bus.id] = path
        self.endpoints.modbus[bus.id] = Endpoint(
            "rtu",
            device=path,
            baud=bus.baud,
            parity=bus.parity,
            stopbits=bus.stopbits,
            timeout_s=bus.timeout_ms / 1000,
            retries=bus.retries,
        )

    def _link(self, link: Path, target: str) -> str:
        """Point ``link`` at ``target``; never replace a real file (a real port)."""
        if link.exists() and not link.is_symlink():
            log.warning("%s exists and is not a link; serving on %s", link, target)
            return target
        link.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        os.symlink(target, link)
        self._links.append(link)
        return str(link)

    def endpoint_text(self, bus_id: str) -> str:
        """`tcp://HOST:PORT`, `rtu+tcp://HOST:PORT` or `rtu:<path>@<baud>`."""
        return self.endpoints.modbus[bus_id].describe()

    def describe(self) -> list[str]:
        """One line per device: `<device id> <model> <endpoint> unit <id>`."""
        lines = []
        for evse in self.config.evse:
            for kind, ref in (("meter", evse.meter), ("board", evse.board)):
                where = self.endpoint_text(ref.bus)
                lines.append(f"{evse.uid}/{kind} {ref.model} {where} unit {ref.unit}")
            if evse.rfid is not None and evse.uid in self.endpoints.rfid:
                where = self.endpoints.rfid[evse.uid]
                lines.append(f"{evse.uid}/rfid {evse.rfid.kind} serial:{where}")
        if self.config.load is not None:
            for circuit in self.config.load.circuit:
                if (m := circuit.meter) is not None:
                    where = self.endpoint_text(m.bus)
                    lines.append(f"{circuit.id}/meter {m.model} {where} unit {m.unit}")
        return lines

    async def run(
        self,
        start_offset_s: float = 0.0,
        *,
        start_when: Callable[[], Awaitable[object]] | None = None,
        ocpp_url: UrlFor | None = None,
    ) -> None:
        """Run the readers and the EV schedule until cancelled.

        The devices answer at once; the schedule starts once ``start_when()``
        has returned (e.g. the controller's ``site.ready.wait``), so that no EV
        arrives and no card is shown before the controller can see it. Visits
        are timed from that moment; the clock itself never waits. The OCPP
        chargers connect then too, each to ``ocpp_url(identity)``.
        """
        async with asyncio.TaskGroup() as tg:
            for uid, reader in self.readers.items():
                if reader.kind == "pn532":
                    tg.create_task(reader.run(), name=f"sim rfid {uid}")
            tg.create_task(
                self._schedule(start_offset_s, start_when), name="sim schedule"
            )
            tg.create_task(self._tick(), name="sim physics")
            if self.chargers and ocpp_url is not None:
                tg.create_task(
                    self._chargers(start_when, ocpp_url), name="sim ocpp chargers"
                )

    async def _schedule(
        self,
        start_offset_s: float,
        start_when: Callable[[], Awaitable[object]] | None,
    ) -> None:
        if start_when is not None:
            await start_when()
            log.info("controller ready: the EV schedule starts")
        await self.site.run_schedule(start_offset_s)

    async def _chargers(
        self, start_when: Callable[[], Awaitable[object]] | None, url: UrlFor
    ) -> None:
        if start_when is not None:
            await start_when()
        async with asyncio.TaskGroup() as tg:
            for charger in self.chargers:
                tg.create_task(charger.run(url(charger.identity)))
            for charger in self.chargers:  # booted before their first EV
                await charger.connected.wait()
                tg.create_task(charger.run_schedule(self.ocpp_schedule))
            while True:
                for charger in self.chargers:
                    charger.step()
                await self.clock.sleep(5.0)

    async def _tick(self) -> None:
        while True:
            self.site.step()
            await self.clock.sleep(5.0)

    async def close(self) -> None:
        """Close listeners, ptys and links."""
        for server in self.servers.values():
            await server.close()
        for line in self.lines.values():
            await line.close()
        for pair in self.ptys.values():
            pair.close()
        for link in self._links:
            with contextlib.suppress(FileNotFoundError):
                link.unlink()


def ocpp_schedule(sim: SimSection, uids: list[str]) -> list[Visit]:
    """The visits at the OCPP connectors ``uids``: each its own card if given."""
    gen = sim.generate
    if gen is None or not gen.ocpp_cards:
        return [v for v in build_schedule(sim, uids) if v.evse_uid in uids]
    visits = [v for v in build_schedule(sim, []) if v.evse_uid in uids]  # arrivals
    for n, uid in enumerate(uids):
        card = gen.ocpp_cards[n % len(gen.ocpp_cards)]
        own = gen.model_copy(update={"seed": gen.seed + n + 1, "cards": [card]})
        alone = sim.model_copy(update={"generate": own, "arrival": []})
        visits += build_schedule(alone, [uid])
    return sorted(visits, key=lambda v: v.arrive_s)


def _timing(bus: BusSection) -> LineTiming:
    return LineTiming(bus.baud, bus.parity, bus.stopbits)
