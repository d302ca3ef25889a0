"""What every simulated visit shares, at a Modbus EVSE or an OCPP charger.

The EV a visit brings (:func:`arriving_ev`), the order its steps are played
in (:func:`timeline`: arrive, show the card, leave), and the truth log
(:class:`TruthLog`): the one writer of the truth lines, what the EVs took
from the physics, never from the controller, which the tests compare the
store against. :class:`hal_sim.site.SimSite` (board EVSEs) and
:class:`hal_sim.ocpp.sim_visits.SimVisited` (OCPP chargers) write to the same
log.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import IntEnum
from pathlib import Path

from edge.model.clock import Clock
from hal_sim.ev import SimEv
from hal_sim.schedule import CARD_DELAY_S, Visit


class Step(IntEnum):
    """A step of a visit; at the same instant they are played in this order."""

    ARRIVE = 0
    CARD = 1
    DEPART = 2


def timeline(visits: list[Visit]) -> list[tuple[float, Step, Visit]]:
    """The visits' steps by their schedule time (seconds from its start)."""
    steps = [
        step
        for v in visits
        for step in (
            (v.arrive_s, Step.ARRIVE, v),
            (v.arrive_s + CARD_DELAY_S, Step.CARD, v),
            (v.depart_s, Step.DEPART, v),
        )
    ]
    return sorted(steps, key=lambda s: (s[0], s[1]))


def arriving_ev(visit: Visit) -> SimEv:
    """The EV of ``visit`` as it plugs in."""
    return SimEv(
        id=visit.ev,
        battery_wh=visit.battery_wh,
        soc=visit.soc_start,
        energy_wanted_wh=visit.energy_wanted_wh,
        max_current_a=visit.max_current_a,
        phases=visit.phases,
    )


class TruthLog:
    """The simulated truth of a site's visits: one line an event.

    Lines are kept in :attr:`lines` and, with a ``path``, appended to it as
    JSON lines as they happen (``hal-sim serve --truth``).
    """

    def __init__(self, clock: Clock, path: Path | None = None) -> None:
        self._clock = clock
        self._path = path
        self.lines: list[dict[str, object]] = []
        self.on_event: Callable[[str, Visit], None] | None = None
        """Called after every line with its event and visit."""
        self._no_charge: set[str] = set()
        """Visits (by EV id) whose ``no_charge`` line is written."""

    def write(
        self, event: str, visit: Visit, energy_wh: float = 0.0, **detail: object
    ) -> None:
        """Add one line: the event, the site time, the visit and what it took."""
        entry: dict[str, object] = {
            "event": event,
            "time": self._clock.utcnow().isoformat().replace("+00:00", "Z"),
            "ev": visit.ev,
            "evse_uid": visit.evse_uid,
            "card": visit.card,
            "energy_wh": round(energy_wh, 3),
            **detail,
        }
        self.lines.append(entry)
        if self._path is not None:
            with self._path.open("a", encoding="utf-8") as fh:
                fh.write(json.dumps(entry) + "\n")
                fh.flush()
        if self.on_event is not None:
            self.on_event(event, visit)

    def card(self, visit: Visit, attempt: int) -> None:
        """The driver of ``visit`` shows the card, the ``attempt``-th time."""
        self.write("card", visit, attempt=attempt)

    def no_charge(self, visit: Visit, reason: str, attempts: int) -> None:
        """The visit's car took nothing, and why (one line a visit at most)."""
        if visit.ev in self._no_charge:
            return
        self._no_charge.add(visit.ev)
        self.write("no_charge", visit, reason=reason, attempts=attempts)

    def left(self, visit: Visit, taken_wh: float, reason: str, attempts: int) -> None:
        """The EV of ``visit`` left having taken ``taken_wh``.

        A car that took nothing gets its ``no_charge`` line first (``reason``,
        ``attempts``), unless it has one.
        """
        if taken_wh <= 0:
            self.no_charge(visit, reason, attempts)
        self.write("unplug", visit, taken_wh)
