"""The price plan's inputs: the prices and each EVSE's departure.

The prices come from a file or an HTTP source, read again periodically
(:mod:`edge.load.price_feed`); each EVSE's departure and energy come from its
``[[load.evse]]``, or from the driver for one session (:mod:`edge.load.departures`,
kept in a :class:`~edge.load.departures.Book` across restarts).

:meth:`PricePlanner.caps` turns them into the allocator's caps for the sessions
running now (pure given the prices held); :meth:`PricePlanner.run` keeps the
prices fresh. No prices (none read, or the last good ones have run out) or
prices that do not cover a session's hours leave it unplanned: it charges as
``fast``, and the reason is logged once per change (never a crash).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from edge.config.circuits import LoadSection, PricesSection
from edge.config.schema import EvseSection
from edge.evse.port import EvseView
from edge.load.allocator import Cap
from edge.load.departures import MAX_AHEAD_S, Book, DepartureRefused, Refusal
from edge.load.price_feed import Fetch, PriceFeed
from edge.load.price_plan import (
    ChargeNow,
    Need,
    Plan,
    Price,
    Unplanned,
    Wait,
    plan,
    price_cap,
)
from edge.load.surplus import VOLTAGE_V
from edge.model.clock import Clock
from edge.model.departure import SessionDeparture, Source

log = logging.getLogger(__name__)
PLAN_SHARE = 0.8
"""A session is planned at this share of what it can draw: the least of the
most it has drawn (or its EVSE's maximum, before it has drawn) and what the
fuse lets it draw with every car charging (:mod:`edge.load.price_share`). The
house load moves and a car paused for headroom waits out its resume delay, so
it often gets less; a plan made for more power delivers too late. Each
allocation plans again from the energy still wanted, so what a chosen hour did
not deliver moves into the next cheapest ones."""
SEEN_FROM_W = 1000.0
"""A session's draw counts as what it can take from this much."""
DRAWS_FROM_A = 1.0
"""A phase carrying more than this is one the car draws on."""


@dataclass(frozen=True)
class Departure:
    """An EVSE planned by price, and what it can draw.

    ``at`` and ``energy_wh``: its sessions' ``[[load.evse]]`` departure (local
    time of day) and energy, if set.
    """

    at: time | None
    energy_wh: int | None
    power_w: float
    """Its EVSE's maximum on every wired phase (W)."""
    phases: int
    """Its EVSE's wired phases."""


def departure_after(start: datetime, at: time, tz: ZoneInfo) -> datetime:
    """The first ``at`` (local time of day in ``tz``) after ``start``."""
    local = start.astimezone(tz)
    day = local.date()
    for _ in range(2):
        candidate = datetime.combine(day, at, tzinfo=tz)
        if candidate > local:
            return candidate
        day += timedelta(days=1)
    return datetime.combine(day, at, tzinfo=tz)


class PricePlanner:
    """Caps from the price plan of every session with a departure."""

    def __init__(
        self,
        load: LoadSection,
        prices: PricesSection,
        evses: list[EvseSection],
        tz: ZoneInfo,
        clock: Clock,
        fetch: Fetch | None = None,
        book: Book | None = None,
    ) -> None:
        self.feed = PriceFeed(prices, clock, fetch)
        self.book = book
        """Where the sessions' own departures are kept (None: in memory only)."""
        self.tz = tz
        self.clock = clock
        wiring = {e.uid: e for e in evses}
        self.departures = {
            leaf.uid: Departure(
                None if leaf.departure is None else time.fromisoformat(leaf.departure),
                leaf.energy_wh,
                wiring[leaf.uid].max_current_a * wiring[leaf.uid].phases * VOLTAGE_V,
                wiring[leaf.uid].phases,
            )
            for leaf in load.evse
            if (leaf.mode or load.mode) == "fast" and leaf.uid in wiring
        }
        """Every EVSE that can be planned by price (a ``fast`` leaf of [load])."""
        self.sessions: dict[str, SessionDeparture] = {}
        """Per EVSE: its running session's own departure, if one was set (what
        the book holds, read again by :meth:`restore`)."""
        self.plans: dict[str, Plan] = {}
        """Each planned EVSE's last plan (for display)."""
        self._said: dict[str, tuple[str, str]] = {}
        """Per EVSE: the session and reason last logged (once per reason)."""
        self._peak_w: dict[str, tuple[str, float, int]] = {}
        """Per EVSE: its session, the most that session has drawn (W) and on how
        many phases."""
        self._charging: dict[str, tuple[str, datetime]] = {}
        """Per EVSE: its session charges at least until then (the end of the
        price interval it charges in: no pause within an interval)."""

    @property
    def prices(self) -> list[Price] | None:
        """The last good prices (None: none yet, or they have run out)."""
        return self.feed.prices

    @property
    def problem(self) -> str | None:
        """Why the last read of the prices failed (None: it worked)."""
        return self.feed.problem

    @property
    def refresh_s(self) -> float:
        """The prices are read again this often."""
        return self.feed.refresh_s

    def load(self) -> None:
        """Read the prices file now (blocking)."""
        self.feed.load()

    async def run(self) -> None:
        """Keep the prices fresh, until cancelled."""
        await self.feed.run()

    async def restore(self) -> None:
        """Read the book's departures of the sessions still open (at start)."""
        if self.book is None:
            return
        kept = {
            u: d for u, d in (await self.book.open()).items() if u in self.departures
        }
        if kept and self.feed.prices is None:
            # read the prices now: a first plan without them would charge its
            # car to the end of the hour (_sticky) whatever its departure says
            await self.feed.refresh()
        for uid, own in kept.items():
            self.sessions[uid] = own
            log.info(
                "load: EVSE %s session %s keeps its departure %s (%s)",
                uid,
                own.session_id,
                "fast" if own.departure is None else own.departure.isoformat(),
                own.source,
            )

    def caps(
        self,
        views: Mapping[str, EvseView],
        now: datetime,
        fuse_a: Mapping[str, float] | None = None,
    ) -> dict[str, Cap]:
        """A cap for every session whose plan waits for cheaper hours.

        ``fuse_a``: per EVSE, the current (A per phase) the fuse lets it draw
        with every car charging (:func:`edge.load.price_share.fuse_share`).
        """
        out: dict[str, Cap] = {}
        for uid, dep in self.departures.items():
            view = views.get(uid)
            session = view.session if view is not None else None
            own = self.sessions.get(uid)
            if own is not None and session is not None and own.session_id != session.id:
                del self.sessions[uid]  # that session has ended
                own = None
            # no session (yet: an OCPP charger not reconnected after a restart):
            # its departure stays, and applies only if that session runs again
            if own is not None and session is not None and own.departure is None:
                self.plans[uid] = Unplanned(f"the driver asked for fast ({own.source})")
                continue
            if own is not None and session is not None and own.departure is not None:
                departure = own.departure
                energy_wh = own.energy_wh or dep.energy_wh
            elif session is not None and dep.at is not None:
                departure = departure_after(session.start_utc or now, dep.at, self.tz)
                energy_wh = dep.energy_wh
            else:
                self.plans.pop(uid, None)
                continue
            if energy_wh is None:
                self.plans.pop(uid, None)
                continue
            left_wh = energy_wh - (session.energy_wh or 0)
            power_w = PLAN_SHARE * self._power_w(
                uid, session.id, view, dep, (fuse_a or {}).get(uid)
            )
            if (prices := self.feed.current(now)) is None:
                p: Plan = Unplanned(f"no prices ({self.problem})")
            else:
                p = plan(prices, now, Need(left_wh, departure, power_w))
            p = self._sticky(uid, session.id, p, now)
            self.plans[uid] = p
            said = self._said.get(uid)
            if isinstance(p, Unplanned) and said != (session.id, p.reason):
                log.info("load: EVSE %s charges as fast: %s", uid, p.reason)
                self._said[uid] = (session.id, p.reason)
            cap = price_cap(p)
            if cap is not None:
                out[uid] = cap
        return out

    async def set_departure(
        self,
        uid: str,
        view: EvseView,
        departure: datetime,
        energy_wh: int | None,
        source: Source,
        now: datetime,
        session_id: str | None = None,
    ) -> SessionDeparture:
        """Give the session running on ``uid`` its own departure (and energy).

        ``session_id``: the session it is for (None: whichever runs). Kept in
        the book before this returns. Raises :class:`DepartureRefused` naming
        what is wrong.
        """
        dep = self.departures.get(uid)
        if dep is None:
            raise DepartureRefused(
                Refusal.NOT_PLANNED,
                f"EVSE {uid} is not planned by price: it needs a [[load.evse]] "
                'in mode "fast"',
            )
        session = view.session
        if session is None or (session_id is not None and session.id != session_id):
            what = (
                "no session runs"
                if session_id is None
                else f"session {session_id} does not run"
            )
            raise DepartureRefused(Refusal.NO_SESSION, f"{what} on EVSE {uid}")
        if departure.utcoffset() is None:
            raise DepartureRefused(
                Refusal.NOT_POSSIBLE, "the departure needs a UTC offset"
            )
        ahead = (departure - now).total_seconds()
        if ahead <= 0:
            raise DepartureRefused(
                Refusal.NOT_POSSIBLE,
                f"the departure {departure.isoformat()} has passed",
            )
        if ahead > MAX_AHEAD_S:
            raise DepartureRefused(
                Refusal.NOT_POSSIBLE,
                f"the departure {departure.isoformat()} is more than "
                f"{MAX_AHEAD_S / 86_400:g} days ahead",
            )
        if energy_wh is None and dep.energy_wh is None:
            raise DepartureRefused(
                Refusal.ENERGY_NEEDED,
                f"how much energy? EVSE {uid} has no energy_wh in its [[load.evse]]",
            )
        own = SessionDeparture(session.id, departure, energy_wh, source)
        await self._keep(uid, own, now)
        self._charging.pop(uid, None)  # plan afresh, not held in an interval
        log.info(
            "load: EVSE %s session %s departs %s wanting %s Wh (%s)",
            uid,
            session.id,
            departure.isoformat(),
            energy_wh if energy_wh is not None else dep.energy_wh,
            source,
        )
        return own

    async def charge_fast(
        self, uid: str, view: EvseView, source: Source, session_id: str | None = None
    ) -> SessionDeparture:
        """The running session charges as fast as the fuses allow.

        No plan, even with a site-file departure, until the session ends or
        this is cleared. Kept in the book before this returns.
        """
        if uid not in self.departures:
            raise DepartureRefused(
                Refusal.NOT_PLANNED, f"EVSE {uid} is not planned by price"
            )
        session = view.session
        if session is None or (session_id is not None and session.id != session_id):
            raise DepartureRefused(Refusal.NO_SESSION, f"no such session on EVSE {uid}")
        own = SessionDeparture(session.id, None, None, source)
        await self._keep(uid, own, self.clock.utcnow())
        log.info(
            "load: EVSE %s session %s charges as fast (%s)", uid, session.id, source
        )
        return own

    async def clear_departure(self, uid: str) -> SessionDeparture | None:
        """Forget the running session's own departure (the site file's holds)."""
        own = self.sessions.get(uid)
        if own is not None and self.book is not None:
            await self.book.drop(own.session_id)
        self._charging.pop(uid, None)
        return self.sessions.pop(uid, None)

    async def _keep(self, uid: str, own: SessionDeparture, now: datetime) -> None:
        """Keep ``own`` in the book, then in memory (refused if it has ended)."""
        if self.book is not None and not await self.book.keep(own, now):
            raise DepartureRefused(
                Refusal.NO_SESSION,
                f"session {own.session_id} has ended on EVSE {uid}",
            )
        self.sessions[uid] = own

    def _power_w(
        self,
        uid: str,
        sid: str,
        view: EvseView | None,
        dep: Departure,
        fuse_a: float | None,
    ) -> float:
        """What the session can draw (W).

        The least of its EVSE's maximum, the most it has drawn (from
        ``SEEN_FROM_W``) and the fuse's share (``fuse_a`` on the phases it
        draws, every wired one until it has drawn).
        """
        seen_sid, peak, phases = self._peak_w.get(uid, (sid, 0.0, 0))
        if seen_sid != sid:
            peak, phases = 0.0, 0
        if view is not None and view.draw is not None:
            amps = [a for a in view.draw.currents_a if a is not None and a > 0]
            peak = max(peak, sum(amps) * VOLTAGE_V)
            phases = max(phases, sum(1 for a in amps if a > DRAWS_FROM_A))
        self._peak_w[uid] = (sid, peak, phases)
        power = min(dep.power_w, peak) if peak >= SEEN_FROM_W else dep.power_w
        if fuse_a is not None:
            power = min(power, fuse_a * (phases or dep.phases) * VOLTAGE_V)
        return power

    def _sticky(self, uid: str, sid: str, p: Plan, now: datetime) -> Plan:
        """A session charging in an interval keeps charging to its end.

        Re-planning as energy arrives (or falls behind) may move the dearest
        interval's start or tip the plan between "every hour is needed" and a
        wait: without this a car would pause and resume within minutes.
        """
        match p:
            case ChargeNow(until=until):
                self._charging[uid] = (sid, until)
            case Unplanned():
                hour = now.replace(minute=0, second=0, microsecond=0)
                self._charging[uid] = (sid, hour + timedelta(hours=1))
            case Wait():
                held_sid, until = self._charging.get(uid, (None, now))
                if held_sid == sid and now < until:
                    return ChargeNow(until)
        return p
