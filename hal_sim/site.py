"""A whole simulated site: devices on their buses, EVs arriving, cards shown.

Physics advance lazily: before every Modbus request and at every scheduled event
the site integrates the time since the last step, so the meter's registers and
the EVs' energy are the same numbers at any instant. The truth log
(:class:`hal_sim.visits.TruthLog`, shared with the OCPP chargers' visits)
records what the EVs took, from the physics, never from the controller.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from drivers.modbus.profile import ProfileLibrary
from edge.config.schema import SimSection, SiteConfig
from edge.model.clock import Clock
from hal_sim.devices.base import ProfileDevice
from hal_sim.devices.evse_board import SimEvseBoard
from hal_sim.devices.meter import SimMeter
from hal_sim.devices.relay import SimRelay
from hal_sim.grid import SimGrid
from hal_sim.schedule import Visit, build_schedule
from hal_sim.visits import Step, TruthLog, arriving_ev, timeline

CARD_RETRY_WALL_S = 1.0
"""A driver never swipes again sooner than this (wall seconds): a fast site clock
does not shrink the controller's real reaction time."""

log = logging.getLogger(__name__)


class CardReaderSim(Protocol):
    """A simulated card reader that a visit can show a card to."""

    async def present(self, uid: str, hold_s: float = 1.0) -> None:
        """Hold the card ``uid`` at the reader for ``hold_s`` seconds."""
        ...


@dataclass
class SimChannel:
    """One EVSE's devices."""

    evse_uid: str
    meter: SimMeter
    board: SimEvseBoard
    reader: CardReaderSim | None = None
    visit: Visit | None = None
    contactor: tuple[SimRelay, int] | None = None
    """The relay channel switching this EVSE's contactor, if the site has one."""

    def power_path_closed(self) -> bool:
        """Current can flow: the board's relay and, if present, the contactor."""
        if not self.board.relay_closed:
            return False
        if self.contactor is None:
            return True
        relay, channel = self.contactor
        return relay.main_closed(channel)


@dataclass
class SimBus:
    """The devices on one bus, by unit id."""

    id: str
    devices: dict[int, ProfileDevice] = field(default_factory=dict)


class SimSite:
    """Devices, EVs and the schedule of a site file's simulated installation."""

    def __init__(
        self,
        config: SiteConfig,
        clock: Clock,
        profiles: ProfileLibrary | None = None,
        truth_path: Path | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        profiles = profiles or ProfileLibrary()
        self.buses: dict[str, SimBus] = {b.id: SimBus(b.id) for b in config.bus}
        self.channels: dict[str, SimChannel] = {}
        sim = config.sim
        meter_start = sim.meter_start_wh if sim else 1_000_000
        for i, evse in enumerate(config.evse):
            meter = SimMeter(
                profiles.get(evse.meter.model), evse.meter.unit, meter_start + i * 7_919
            )
            board = SimEvseBoard(
                profiles.get(evse.board.model), evse.board.unit, clock.monotonic
            )
            self.buses[evse.meter.bus].devices[evse.meter.unit] = meter
            self.buses[evse.board.bus].devices[evse.board.unit] = board
            self.channels[evse.uid] = SimChannel(evse.uid, meter, board)
            if evse.contactor is not None:
                ref = evse.contactor
                relay = self.buses[ref.bus].devices.get(ref.unit)
                if not isinstance(relay, SimRelay):
                    relay = SimRelay(profiles.get(ref.model), ref.unit)
                    self.buses[ref.bus].devices[ref.unit] = relay
                self.channels[evse.uid].contactor = (relay, ref.channel)
        self.schedule = [  # the visits at OCPP chargers are theirs
            v
            for v in (build_schedule(sim, list(self.channels)) if sim else [])
            if v.evse_uid in self.channels
        ]
        defaults = SimSection()
        self.grid: SimGrid | None = None
        """The grid connection of a site with ``[load]``: meters and breakers."""
        if config.load is not None:
            self.grid = SimGrid(config.load, (sim or defaults).grid, profiles)
            for circuit in self.grid.circuits.values():
                if circuit.meter is not None and circuit.bus is not None:
                    self.buses[circuit.bus].devices[circuit.meter.unit] = circuit.meter
        self.card_retry_s = (sim or defaults).card_retry_s
        self.card_attempts = (sim or defaults).card_attempts
        self._t0 = clock.monotonic()
        self._last = self._t0
        self.truth_log = TruthLog(clock, truth_path)
        """The site's truth log: its board EVSEs' visits and its OCPP chargers'."""
        self.truth = self.truth_log.lines
        self._swipes: dict[str, int] = {}
        """Swipes so far per visit (by EV id)."""

    def step(self) -> None:
        """Integrate physics from the last step to now."""
        now = self.clock.monotonic()
        dt = now - self._last
        if dt <= 0:
            return
        self._last = now
        grid = self.grid
        for ch in self.channels.values():
            ch.board.update()
            ev = ch.board.ev
            if ev is None:
                ch.meter.add_energy(0.0, (0.0, 0.0, 0.0))
                continue
            powered = grid is None or grid.powered(ch.evse_uid)
            closed = ch.power_path_closed() and powered
            wh = ev.step(dt, ch.board.offered_a(), closed)
            ch.meter.add_energy(wh, ev.phase_currents())
            ch.board.update()
        if grid is not None:
            evs = {
                uid: ch.board.ev.phase_currents()
                for uid, ch in self.channels.items()
                if ch.board.ev is not None
            }
            grid.step(dt, self.clock.utcnow().timestamp(), now, evs)

    def plug_in(self, visit: Visit) -> None:
        """The EV of ``visit`` plugs in."""
        self.step()
        ch = self.channels[visit.evse_uid]
        ch.board.ev = arriving_ev(visit)
        ch.visit = visit
        ch.board.update()
        self.truth_log.write("plug_in", visit)

    def unplug(self, visit: Visit) -> None:
        """The EV of ``visit`` leaves."""
        self.step()
        ch = self.channels[visit.evse_uid]
        ev = ch.board.ev
        taken = ev.energy_taken_wh if ev is not None else 0.0
        ch.board.ev = None
        ch.visit = None
        ch.board.update()
        ch.meter.add_energy(0.0, (0.0, 0.0, 0.0))
        swipes = self._swipes.get(visit.ev, 0)
        reason = (
            "left before charging began"
            if swipes
            else "no card"
            if not visit.card
            else "no card reader"
            if ch.reader is None
            else "left before a swipe"
        )
        self.truth_log.left(visit, taken, reason, swipes)

    async def _show_card(self, visit: Visit) -> None:
        """Show the card; like a real driver, try again if charging does not begin.

        Every swipe is a ``card`` line of the truth log (with its ``attempt``);
        a visit whose car took nothing has one ``no_charge`` line with the
        ``reason`` (no card, gave up after N swipes, left before charging began)
        and the ``attempts`` made.
        """
        ch = self.channels[visit.evse_uid]
        if ch.visit is not visit or not visit.card or ch.reader is None:
            return  # no swipe: a no_charge line at unplug if the car took nothing
        retry_s = max(self.card_retry_s, self.clock.from_wall(CARD_RETRY_WALL_S))
        for attempt in range(1, self.card_attempts + 1):
            if ch.visit is not visit:
                return
            self._swipes[visit.ev] = attempt
            self.truth_log.card(visit, attempt)
            await ch.reader.present(visit.card)
            await self.clock.sleep(retry_s)
            if self._charging(ch, visit):
                return
        reason = f"gave up after {self.card_attempts} swipes"
        self.truth_log.no_charge(visit, reason, self.card_attempts)

    @staticmethod
    def _charging(ch: SimChannel, visit: Visit) -> bool:
        """The visit is over, or its car draws or is offered current."""
        ev = ch.board.ev
        if ch.visit is not visit or ev is None or ev.energy_taken_wh > 0:
            return True
        return ch.board.offered_a() > 0  # the charger took the card

    async def run_schedule(self, start_offset_s: float = 0.0) -> None:
        """Play the schedule in site time from ``start_offset_s`` on, starting now.

        Schedule times count from the call (less ``start_offset_s``); events
        before the offset are skipped.
        """
        self._t0 = self.clock.monotonic() - start_offset_s
        async with asyncio.TaskGroup() as tg:
            for at, step, visit in timeline(self.schedule):
                if at < start_offset_s:
                    continue
                wait = at - (self.clock.monotonic() - self._t0)
                if wait > 0:
                    await self.clock.sleep(wait)
                if step is Step.ARRIVE:
                    if self.channels[visit.evse_uid].board.ev is None:
                        self.plug_in(visit)
                elif step is Step.CARD:
                    tg.create_task(self._show_card(visit))
                elif self.channels[visit.evse_uid].visit is visit:
                    self.unplug(visit)
