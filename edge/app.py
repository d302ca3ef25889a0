"""Composition root: config → drivers, controllers and store, run as one TaskGroup.

This is the only module (with :mod:`edge.simulate` and its parts in
:mod:`edge.wiring`: the OCPP server and the load manager) that names concrete
classes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from drivers.evse_board import ProfileEvseBoard
from drivers.meter import ProfileMeter
from drivers.modbus.client import Endpoint, ModbusClient
from drivers.modbus.profile import ProfileLibrary
from drivers.modbus.scheduler import BusScheduler
from drivers.relay import ProfileRelay, RelayChannel
from drivers.rfid.reader import RfidReader
from edge.auth.authorizer import Authorizer, LocalToken
from edge.config.schema import BusSection, SiteConfig
from edge.evse.board_evse import BoardEvse, board_identity
from edge.evse.contactor_test import ContactorTester
from edge.evse.controller import EvseController
from edge.evse.local_commands import LocalCommands, site_token
from edge.evse.port import EvsePort
from edge.evse.site_commands import EvseCommands
from edge.evse.state_machine import EvseSettings
from edge.load.manager import LoadManager
from edge.load.price_source import PricePlanner
from edge.model.clock import Clock
from edge.model.events import DeviceReading, DeviceSilent
from edge.mqtt.commands import MqttCommands, local_token
from edge.mqtt.publisher import MqttPublisher
from edge.mqtt.settings import MqttSettings
from edge.mqtt.source import PortSource
from edge.ocpp.server import OcppServer
from edge.ocpp.service import OcppService
from edge.readiness import Readiness
from edge.store.db import Database
from edge.uplink.ocpi.serve import action_timeout_for
from edge.uplink.ocpi.service import OcpiUplink
from edge.web.context import UplinkInfo, WebContext
from edge.web.server import WebServer
from edge.wiring.load import load_from_config
from edge.wiring.ocpp import ocpp_from_config
from edge.wiring.preferences import preferences_for

log = logging.getLogger(__name__)


@dataclass
class Overrides:
    """Where the simulator really put things (ports picked at run time)."""

    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    rfid_ports: dict[str, str] = field(default_factory=dict)


def endpoint_for(bus: BusSection) -> Endpoint:
    """The Modbus endpoint a bus section describes."""
    return Endpoint(
        transport=bus.transport,
        host=bus.host,
        port=bus.port,
        device=bus.device,
        baud=bus.baud,
        parity=bus.parity,
        stopbits=bus.stopbits,
        timeout_s=bus.timeout_ms / 1000,
        retries=bus.retries,
    )


class Site:
    """A running controller for one site file."""

    def __init__(
        self,
        config: SiteConfig,
        clock: Clock,
        db: Database,
        overrides: Overrides | None = None,
        profiles: ProfileLibrary | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.db = db
        overrides = overrides or Overrides()
        profiles = profiles or ProfileLibrary()
        self.schedulers: dict[str, BusScheduler] = {}
        for bus in config.bus:
            ep = overrides.endpoints.get(bus.id) or endpoint_for(bus)
            self.schedulers[bus.id] = BusScheduler(bus.id, ModbusClient(ep), clock)
        self.authorizer = Authorizer(
            db,
            clock,
            (LocalToken(**t.model_dump()) for t in config.token),
            owner=(config.site.country_code, config.site.party_id),
            unknown_offline=config.auth.unknown_offline,
            remote_timeout_s=config.auth.remote_timeout_s,
            refresh_s=config.auth.cache_refresh_s,
        )
        self.controllers: dict[str, EvseController] = {}
        self.evses: dict[str, EvsePort] = {}
        """Every EVSE of the site, as the rest of the site sees it."""
        self.relays: dict[tuple[str, int], ProfileRelay] = {}
        self.meters: dict[str, ProfileMeter] = {}
        self.boards: dict[str, ProfileEvseBoard] = {}
        self.readers: dict[str, RfidReader] = {}
        timing = config.sessions
        for evse in config.evse:
            meter = ProfileMeter(
                f"{evse.uid}/meter",
                profiles.get(evse.meter.model),
                evse.meter.unit,
                self.schedulers[evse.meter.bus],
                clock,
                timing.poll_interval_s,
            )
            board = ProfileEvseBoard(
                f"{evse.uid}/board",
                profiles.get(evse.board.model),
                evse.board.unit,
                self.schedulers[evse.board.bus],
                clock,
                timing.poll_interval_s,
            )
            settings = EvseSettings(
                evse_uid=evse.uid,
                max_current_a=evse.max_current_a,
                free_vend=evse.free_vend,
                device_timeout_s=timing.device_timeout_s,
                relay_settle_s=timing.relay_settle_s,
                checkpoint_interval_s=timing.checkpoint_interval_s,
                board_latch=board.latches_after_charge,
                phases=evse.phases,
                voltage_v=evse.voltage_v,
                energy_step_wh=meter.energy_resolution()[0],
                energy_relative_step=meter.energy_resolution()[1],
            )
            contactor = None
            if evse.contactor is not None:
                ref = evse.contactor
                key = (ref.bus, ref.unit)
                if key not in self.relays:
                    self.relays[key] = ProfileRelay(
                        f"{ref.bus}/relay{ref.unit}",
                        profiles.get(ref.model),
                        ref.unit,
                        self.schedulers[ref.bus],
                        clock,
                        timing.poll_interval_s,
                    )
                contactor = RelayChannel(self.relays[key], ref.channel)
            ctl = EvseController(settings, board, self.authorizer, db, clock, contactor)
            if contactor is not None:
                contactor.watch(ctl.on_relay)
            meter.watch(ctl.on_meter)
            board.watch(ctl.on_board)
            self.controllers[evse.uid] = ctl
            self.evses[evse.uid] = BoardEvse(ctl, board_identity(evse))
            self.meters[evse.uid] = meter
            self.boards[evse.uid] = board
            if evse.rfid is not None:
                port = overrides.rfid_ports.get(evse.uid, evse.rfid.port)
                self.readers[evse.uid] = RfidReader(
                    port,
                    evse.rfid.kind,
                    clock,
                    evse.rfid.baud,
                    # A held card repeats its frames in wall time: on a fast site clock
                    # the debounce must still span a fraction of a wall second.
                    hold_s=max(1.0, clock.from_wall(0.2)),
                )

        # The OCPP central system: each charger's connector is an EVSE of the site.
        ocpp = ocpp_from_config(config, clock, db, self.authorizer)
        self.ocpp: OcppService | None = None if ocpp is None else ocpp.service
        self.ocpp_server: OcppServer | None = None
        """The listening OCPP server, once it listens (its port, for port 0)."""
        if ocpp is not None:
            self.evses.update(ocpp.ports)
        # Remote commands (OCPI Commands) routed to the EVSEs' state machines.
        self.commands = EvseCommands(
            self.evses,
            self.controllers,
            clock,
            {uid: b.unlock for uid, b in self.boards.items() if b.has_lock},
            {} if ocpp is None else ocpp.unlocks(),
        )
        # Load management: the [load] tree's circuit meters feed one allocator task.
        self._load = load_from_config(
            config, self.evses, self.schedulers, profiles, clock, db
        )
        self.load: LoadManager | None = None
        self.prices: PricePlanner | None = None
        self.grid_meters: dict[str, ProfileMeter] = {}
        if self._load is not None:
            self.load, self.prices = self._load.manager, self._load.prices
            self.grid_meters = self._load.grid_meters
        # The OCPI uplink: woken by every EVSE change, fed by the token cache.
        self.uplink_wake = asyncio.Event()
        self.uplink: OcpiUplink | None = None
        if config.ocpi is not None and config.ocpi.enabled:
            self.uplink = OcpiUplink(
                config,
                clock,
                db,
                wake=self.uplink_wake,
                token_sink=self.authorizer,
                commands=self.commands,
                preferences=None
                if self.prices is None
                else preferences_for(self.prices, self.evses, clock),
                command_action_s=action_timeout_for(
                    max(
                        (c.settings.auth_window_s for c in self.controllers.values()),
                        default=EvseSettings.auth_window_s,
                    )
                ),
            )
            self.authorizer.use_remote(self.uplink.remote_tokens())
        for evse_port in self.evses.values():
            evse_port.on_change(lambda _uid: self.uplink_wake.set())
        if ocpp is not None:  # and once a charger's status is in the outbox
            ocpp.on_status_recorded(self.uplink_wake.set)
        # MQTT: retained state, Home Assistant discovery and local commands.
        self.mqtt: MqttPublisher | None = None
        if config.mqtt is not None and config.mqtt.enabled:
            self.mqtt = MqttPublisher(
                MqttSettings.from_config(config),
                PortSource(config.evse, self.evses, config.ocpp),
                MqttCommands(
                    self.evses,
                    local_token(config.site.country_code, config.site.party_id),
                    action_timeout_for(EvseSettings.auth_window_s),
                ),
                clock,
            )
        self.ready = self._readiness()
        # The local API and the commissioning page, on one HTTP server.
        self.web: WebServer | None = None
        if config.web is not None and config.web.enabled:
            api_commands = LocalCommands(
                self.evses,
                site_token(config.site.country_code, config.site.party_id, "API"),
                action_timeout_for(EvseSettings.auth_window_s),
            )
            context = WebContext(
                config=config,
                clock=clock,
                db=db,
                evses=self.evses,
                ready=self.ready,
                commands=api_commands,
                uplink=self._uplink_info(),
                contactor_tests={
                    uid: ContactorTester(ctl) for uid, ctl in self.controllers.items()
                },
                load=self.load,
                prices=self.prices,
                ocpp=None if ocpp is None else ocpp.service.central.reports,
                chargers={} if ocpp is None else ocpp.chargers(),
            )
            self.web = WebServer(config.web, context)

    def _readiness(self) -> Readiness:
        """READY: readers open, every device polled once, the uplink decided.

        A device counts once its first poll is answered or known failed (a bus
        that is down is known as such); a SunSpec meter still being located is
        not waited for (it reads as silent, so its contactor stays open). The
        uplink counts once registered, or once its first attempt failed or it
        has nothing to register with (known offline).
        """
        ready = Readiness(self.clock.utcnow)
        for uid in self.readers:
            ready.expect(f"rfid {uid}")
        devices = [*self.meters.values(), *self.boards.values(), *self.relays.values()]
        devices += self.grid_meters.values()
        for device in devices:
            if not device.located:
                continue
            ready.expect(device.name)

            def polled(
                item: DeviceReading | DeviceSilent, name: str = device.name
            ) -> None:
                how = "answered" if isinstance(item, DeviceReading) else "known failed"
                ready.up(name, how)

            device.subscribe(polled)
        if self.uplink is not None:
            ready.expect("ocpi uplink")
        if self.ocpp is not None:
            ready.expect("ocpp server")
        if self.config.web is not None and self.config.web.enabled:
            ready.expect("web server")
        ready.seal()
        return ready

    def _uplink_info(self) -> Callable[[], UplinkInfo] | None:
        uplink = self.uplink
        if uplink is None:
            return None

        def info() -> UplinkInfo:
            c = uplink.creds
            peer = str(c.peer_party) if c and c.peer_party else None
            return UplinkInfo(registered=bool(c and c.ready), peer=peer)

        return info

    def _ocpp_listening(self, server: OcppServer) -> None:
        self.ocpp_server = server
        self.ready.up("ocpp server", "listening")

    async def _ready_when(self, part: str, event: asyncio.Event, how: str) -> None:
        await event.wait()
        self.ready.up(part, how)

    async def _read_cards(self, evse_uid: str, reader: RfidReader) -> None:
        ctl = self.controllers[evse_uid]
        async for uid in reader.tokens():
            ctl.on_token(uid)

    async def run(self) -> None:
        """Run every bus, EVSE and reader until cancelled.

        On cancellation the controllers and readers stop first; then, with the
        buses still running, every contactor is opened; then the buses stop.
        """
        await self.authorizer.start()
        for ctl in self.controllers.values():
            await ctl.resume()
        if self._load is not None:  # the open sessions' own departures
            await self._load.resume()
        async with asyncio.TaskGroup() as buses:
            bus_tasks = [
                buses.create_task(sched.run(), name=f"bus {sched.name}")
                for sched in self.schedulers.values()
            ]
            try:
                async with asyncio.TaskGroup() as tg:
                    tg.create_task(self.authorizer.run(), name="token cache")
                    if self.uplink is not None:
                        tg.create_task(self.uplink.run(), name="ocpi uplink")
                    if self.mqtt is not None:
                        tg.create_task(self.mqtt.run(), name="mqtt")
                    if self.ocpp is not None:
                        tg.create_task(self.ocpp.run(self._ocpp_listening), name="ocpp")
                    if self.web is not None:
                        tg.create_task(self.web.run(), name="web")
                        tg.create_task(
                            self._ready_when(
                                "web server", self.web.listening, "listening"
                            ),
                            name="ready web server",
                        )
                    for uid, ctl in self.controllers.items():
                        tg.create_task(ctl.run(), name=f"evse {uid}")
                    for uid, meter in [*self.meters.items(), *self.grid_meters.items()]:
                        if not meter.located:  # a SunSpec model: find it first
                            tg.create_task(meter.locate(), name=f"locate {uid}")
                    if self._load is not None:
                        self._load.start(tg)
                    for uid, reader in self.readers.items():
                        tg.create_task(
                            self._read_cards(uid, reader), name=f"rfid {uid}"
                        )
                        tg.create_task(
                            self._ready_when(f"rfid {uid}", reader.opened, "open"),
                            name=f"ready rfid {uid}",
                        )
                    if self.uplink is not None:
                        tg.create_task(
                            self._ready_when(
                                "ocpi uplink", self.uplink.decided, "decided"
                            ),
                            name="ready ocpi uplink",
                        )
            finally:
                await asyncio.shield(self._shutdown(bus_tasks))

    async def _shutdown(self, bus_tasks: list[asyncio.Task[None]]) -> None:
        await asyncio.gather(*(c.open_contactor() for c in self.controllers.values()))
        for task in bus_tasks:
            task.cancel()
