"""What a simulated OCPP charger of ``edge sim`` does with its EVs, either version.

:class:`SimVisited` is the part the 1.6J charger
(:class:`hal_sim.ocpp.sim_charger.SimOcppCharger`) and the 2.0.1 station
(:class:`hal_sim.ocpp.sim_station_201.SimOcppStation`) share: their
connectors (:class:`Plug`), the EV physics (each EV charges while its
contactor is closed, capped by the charger's charging profiles), the visit
timeline (:func:`play_visits`), the construction of both (:class:`SimVisited`
makes a plug per declared connector and the link, :class:`hal_sim.ocpp.
sim_link.SimLink`) and the truth lines (plug_in, card, no_charge, unplug:
written to the site's :class:`hal_sim.visits.TruthLog`). What each says on the
link, and when its contactor closes, is its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, Generic, Protocol, TypeVar

from edge.config.ocpp import OcppCharger, OcppConnector
from edge.model.clock import Clock
from hal_sim.ev import SimEv
from hal_sim.ocpp.link import RawLink
from hal_sim.ocpp.sim_link import CP, SimLink
from hal_sim.schedule import Visit
from hal_sim.visits import Step, TruthLog, arriving_ev, timeline


class Plug(Protocol):
    """One connector (1.6J) or EVSE (2.0.1) and the EV plugged into it."""

    evse_uid: str
    max_current_a: float
    meter_wh: float
    """Its energy register: what its EVs took."""
    ev: SimEv | None
    visit: Visit | None
    refused: str | None
    """Why the last attempt to charge failed (for the truth log)."""

    @property
    def closed(self) -> bool:
        """The contactor is closed: an accepted transaction runs."""
        ...


P = TypeVar("P", bound=Plug)


class SimVisited(Generic[P, CP]):
    """A simulated OCPP charger's plugs, EVs and link (see the module)."""

    def __init__(
        self,
        charger: OcppCharger,
        clock: Clock,
        meter_start_wh: float,
        truth: TruthLog,
        *,
        meter_interval_s: float = 60.0,
    ) -> None:
        """One plug per connector the site file declares, each at ``meter_start_wh``."""
        self.charger = charger
        self.identity = charger.identity
        self.clock = clock
        self.truth = truth
        self.outlets = {
            c.evse_uid: self._plug(c, float(meter_start_wh)) for c in charger.connector
        }
        """EVSE uid -> its plug."""
        self.meter_interval_s = meter_interval_s
        self._last = clock.monotonic()
        self._tasks: set[asyncio.Task[None]] = set()
        self._setup()
        self.link: SimLink[CP] = SimLink(
            charger, clock, self._on_link, self._greet, self._meter_values
        )

    # ---- what each version is -------------------------------------------------
    def _plug(self, connector: OcppConnector, meter_wh: float) -> P:
        """The plug of a declared connector, its energy register at ``meter_wh``."""
        raise NotImplementedError

    def _setup(self) -> None:
        """Once the plugs are made: what the charger keeps across its links."""
        raise NotImplementedError

    def _on_link(self, link: RawLink, answer_s: float) -> CP:
        """The charger on a new link (``answer_s``: how long it waits for answers)."""
        raise NotImplementedError

    async def _greet(self, cp: CP) -> None:
        """Booted on a link: its statuses."""
        raise NotImplementedError

    async def _meter_values(self, cp: CP) -> None:
        """Beside the heartbeat while booted: its meter values."""
        raise NotImplementedError

    # ---- what each version says -----------------------------------------------
    def _limit_a(self, plug: P) -> float | None:
        """The current its charging profiles allow at ``plug`` now (None: none)."""
        raise NotImplementedError

    async def _occupied(self, plug: P) -> None:
        """An EV plugged in at ``plug``: say so."""
        raise NotImplementedError

    async def _end_running(self, plug: P) -> None:
        """The EV at ``plug`` leaves: end its transaction, if one runs."""
        raise NotImplementedError

    async def _freed(self, plug: P) -> None:
        """The EV left ``plug``: say so."""
        raise NotImplementedError

    async def show_card(self, visit: Visit) -> None:
        """The driver of ``visit`` shows the card (see :meth:`_card_shown`)."""
        raise NotImplementedError

    # ---- the link -------------------------------------------------------------
    @property
    def connected(self) -> asyncio.Event:
        """Set while connected and booted."""
        return self.link.connected

    async def run(self, url: str) -> None:
        """Stay connected to the central system at ``url`` until cancelled."""
        await self.link.run(url)

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- physics --------------------------------------------------------------
    @property
    def plugged(self) -> dict[str, bool]:
        """EVSE uid -> whether an EV is plugged in there."""
        return {uid: p.ev is not None for uid, p in self.outlets.items()}

    def step(self) -> None:
        """Integrate every plug's EV from the last step to now."""
        now = self.clock.monotonic()
        dt = now - self._last
        if dt <= 0:
            return
        self._last = now
        for plug in self.outlets.values():
            if plug.ev is not None:
                limit = self._limit_a(plug)
                offered = plug.max_current_a if limit is None else limit
                plug.meter_wh += plug.ev.step(
                    dt, min(plug.max_current_a, offered), plug.closed
                )

    # ---- visits ---------------------------------------------------------------
    async def run_schedule(self, visits: list[Visit]) -> None:
        """Play this charger's visits in site time, timed from now."""
        await play_visits(self, visits)

    async def plug_in(self, visit: Visit) -> None:
        """The EV of ``visit`` plugs in."""
        self.step()
        plug = self.outlets[visit.evse_uid]
        plug.ev = arriving_ev(visit)
        plug.visit = visit
        plug.refused = None
        self.truth.write("plug_in", visit)
        await self._occupied(plug)

    def _card_shown(self, visit: Visit) -> P | None:
        """The plug where the driver of ``visit`` shows a card (None: no card)."""
        plug = self.outlets[visit.evse_uid]
        if plug.visit is not visit or not visit.card:
            return None
        self.truth.card(visit, attempt=1)
        return plug

    async def unplug(self, visit: Visit) -> None:
        """The EV of ``visit`` leaves: its transaction ends, the plug frees."""
        plug = self.outlets[visit.evse_uid]
        if plug.visit is not visit:
            return
        self.step()
        ev = plug.ev
        taken = 0.0 if ev is None else ev.energy_taken_wh
        await self._end_running(plug)
        plug.ev = None
        plug.visit = None
        reason = (
            "no card"
            if not visit.card
            else plug.refused or "left before charging began"
        )
        self.truth.left(visit, taken, reason, attempts=1)
        await self._freed(plug)


class VisitHost(Protocol):
    """A simulated OCPP charger whose connectors EVs visit (1.6J or 2.0.1)."""

    clock: Clock

    @property
    def plugged(self) -> dict[str, bool]:
        """EVSE uid -> whether an EV is plugged in there."""
        ...

    async def plug_in(self, visit: Visit) -> None:
        """The EV of ``visit`` plugs in."""
        ...

    async def show_card(self, visit: Visit) -> None:
        """Its driver shows the card."""
        ...

    async def unplug(self, visit: Visit) -> None:
        """It leaves."""
        ...


async def play_visits(host: VisitHost, visits: list[Visit]) -> None:
    """Play ``host``'s visits (at its connectors) in site time, timed from now."""
    clock = host.clock
    t0 = clock.monotonic()
    plugged = host.plugged
    async with asyncio.TaskGroup() as tg:
        for at, step, visit in timeline([v for v in visits if v.evse_uid in plugged]):
            wait = at - (clock.monotonic() - t0)
            if wait > 0:
                await clock.sleep(wait)
            if step is Step.ARRIVE:
                if not host.plugged[visit.evse_uid]:
                    await host.plug_in(visit)
            elif step is Step.CARD:
                tg.create_task(host.show_card(visit))
            else:
                await host.unplug(visit)
