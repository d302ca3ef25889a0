"""The house load in a circuit meter's reading: the reading less our cars then.

No I/O and no clock: the load manager keeps a :class:`Trace` per EVSE (its
meter's recent readings and the limits it was given, with their times on the
wire and on the clock) and asks it what the car drew at a circuit reading's
time (:meth:`Trace.at`); :func:`house_load` takes those draws out of the
reading, and :class:`HouseLoads` keeps what each circuit's last readings gave.

A reading is taken at one instant; a car's draw at that instant is known from
its own meter's reading at or before it (the nearest one), never from a later
one: a later reading shows what the car did after the circuit meter read it (a
silent or slowly polled meter's reading is seconds old), and taking that out
of the reading would count a car's ramp down as house load (and throttle every
car for nothing) or its ramp up as less house load (and raise the others over
the fuse). Each reading thus has one house load, which does not drift while
the meter is silent.

A car counts at most at the limit it held (the part of its reading above it is
load the controller does not command: house load). A car whose limit changed
by :data:`SETTLE_FROM_A` or more within :data:`FOLLOW_S` before the reading,
or since its own reading, is settling: it drew anything between that reading
and the limits it was heading for. The house load is then within an interval;
it is taken as the last house load of a reading with no car settling (at most
:data:`HOLD_S` older) moved into that interval, or, without one, the
interval's top (the safe side).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from edge.load.site import EvseLeaf, PerPhase, Phase

FOLLOW_S = 5.0
"""An EV follows a changed offer within this long (IEC 61851-1: 5 s)."""
SETTLE_FROM_A = 1.0
"""A change of the limit this large makes a car settle (a board offers whole A)."""
HOLD_S = 5.0
"""The house load of a reading with no car settling is held at most this long."""
_ZERO: PerPhase = (0.0, 0.0, 0.0)


@dataclass(frozen=True)
class Change:
    """A limit an EVSE took: sent at ``sent_at``, answered at ``taken_at``."""

    sent_at: float
    taken_at: float
    amps: float
    moves: bool
    """It is :data:`SETTLE_FROM_A` or more from the limit before."""


@dataclass(frozen=True)
class CarAt:
    """A car's draw at some instant, on the EVSE's own phases: within ``lo``..``hi``."""

    lo: PerPhase
    hi: PerPhase
    settling: bool
    read_at: float | None
    """When the car reading it comes from was taken (None: none known)."""


class Trace:
    """One EVSE's recent meter readings and limits (site-monotonic times)."""

    def __init__(self, limit_a: float = 0.0) -> None:
        self.readings: list[tuple[float, PerPhase]] = []
        """(read at, currents on its own L1 to L3), oldest first."""
        self.changes: list[Change] = []
        """Limits it took, oldest first."""
        self.before_a = limit_a
        """Its limit before the oldest change kept."""

    def read(self, read_at: float, amps: PerPhase) -> None:
        """Its meter's reading (ignored unless newer than the last)."""
        if not self.readings or read_at > self.readings[-1][0]:
            clean = [a if math.isfinite(a) and a > 0 else 0.0 for a in amps]
            self.readings.append((read_at, (clean[0], clean[1], clean[2])))

    def unread(self) -> None:
        """Its meter went silent: what the car draws is not known."""
        self.readings.clear()

    def took(self, sent_at: float, taken_at: float, amps: float) -> None:
        """It took the limit ``amps``, sent at ``sent_at``."""
        moves = abs(amps - self.limit_a()) >= SETTLE_FROM_A
        self.changes.append(Change(sent_at, taken_at, amps, moves))

    def limit_a(self, at: float = math.inf) -> float:
        """The limit it held at ``at`` (the last one sent at or before it)."""
        amps = self.before_a
        for c in self.changes:
            if c.sent_at <= at:
                amps = c.amps
        return amps

    def forget(self, before: float) -> None:
        """Keep only what :meth:`at` needs for instants from ``before`` on."""
        while len(self.readings) > 1 and self.readings[1][0] <= before:
            del self.readings[0]
        oldest = self.readings[0][0] if self.readings else before
        horizon = min(oldest, before) - FOLLOW_S
        while self.changes and self.changes[0].taken_at < horizon:
            self.before_a = self.changes.pop(0).amps

    def last_taken_at(self) -> float:
        """When it last took a limit (-inf: not since it was seen)."""
        return self.changes[-1].taken_at if self.changes else -math.inf

    def at(self, t: float, phases: frozenset[Phase], may_draw: bool) -> CarAt:
        """What the car drew at ``t`` on its own phases (``phases``: it draws on).

        ``may_draw``: a session is open now. Without one the contactor may
        have opened since the car's reading (the least it drew is 0); without
        a reading, a car without a session draws nothing, one with a session
        anything up to its limit.
        """
        reading = None
        for read_at, amps in self.readings:
            if read_at > t:
                break
            reading = (read_at, amps)
        if reading is None:
            top = self.limit_a(t) if may_draw else 0.0
            hi = [top if Phase(p) in phases else 0.0 for p in range(3)]
            return CarAt(_ZERO, (hi[0], hi[1], hi[2]), top >= SETTLE_FROM_A, None)
        since, drawn = reading
        # it was heading for the limit it held when read, or one sent since
        heading = [self.limit_a(since)]
        heading += [c.amps for c in self.changes if since <= c.sent_at < t]
        settling = since < t and any(
            c.moves and c.sent_at < t and c.taken_at + FOLLOW_S > since
            for c in self.changes
        )
        floor = min(heading) if may_draw or since == t else 0.0
        lo = [min(drawn[p], floor) for p in range(3)]
        hi = list(lo)
        if settling:
            hi = [
                max(drawn[p], max(heading) if Phase(p) in phases else 0.0)
                for p in range(3)
            ]
        return CarAt((lo[0], lo[1], lo[2]), (hi[0], hi[1], hi[2]), settling, since)


def house_load(
    reading_a: PerPhase,
    cars: Sequence[tuple[EvseLeaf, CarAt]],
    held: PerPhase | None,
) -> tuple[PerPhase, bool]:
    """A circuit reading's house load, and whether a car below was settling.

    ``held``: the house load of the last reading with no car settling, if it
    is at most :data:`HOLD_S` older than this one.
    """
    lo = [0.0, 0.0, 0.0]  # our cars' least draw on each grid phase
    hi = [0.0, 0.0, 0.0]  # and their most
    settling = False
    for leaf, car in cars:
        settling = settling or car.settling
        for own in range(leaf.wired_phases):
            lo[leaf.rotation[own]] += car.lo[own]
            hi[leaf.rotation[own]] += car.hi[own]
    top = [max(0.0, reading_a[p] - lo[p]) for p in range(3)]
    low = [max(0.0, reading_a[p] - hi[p]) for p in range(3)]
    house = top
    if settling and held is not None:
        house = [min(top[p], max(low[p], held[p])) for p in range(3)]
    return (house[0], house[1], house[2]), settling


class HouseLoads:
    """The house load of each metered circuit's reading, taken once a reading."""

    def __init__(self) -> None:
        self._held: dict[str, tuple[PerPhase, float]] = {}
        """Per metered circuit: the house load of its last reading with no car
        settling, and when that reading was taken."""
        self._derived: dict[str, tuple[tuple[float | None, ...], PerPhase]] = {}
        """Per metered circuit: the house load of its last reading, and the
        times of the reading and of the car readings it was taken with."""

    def of(
        self,
        circuit_id: str,
        reading_a: PerPhase,
        read_at: float,
        cars: Sequence[tuple[EvseLeaf, CarAt]],
    ) -> PerPhase:
        """The house load of a reading of ``circuit_id``'s meter, read at ``read_at``.

        ``cars``: each car below at ``read_at`` (:meth:`Trace.at`). Taken again
        only if the reading or a car reading it was taken with is another one
        (a car's reading from before it that came late, from another bus).
        """
        key = (read_at, *(car.read_at for _, car in cars))
        derived = self._derived.get(circuit_id)
        if derived is not None and derived[0] == key:
            return derived[1]
        held = self._held.get(circuit_id)
        prior = None
        if held is not None and 0 <= read_at - held[1] <= HOLD_S:
            prior = held[0]
        house, settling = house_load(reading_a, cars, prior)
        if not settling:
            self._held[circuit_id] = (house, read_at)
        self._derived[circuit_id] = (key, house)
        return house
