"""EV visits of a simulated site: the explicit list plus a seeded random schedule."""

from __future__ import annotations

import random
from dataclasses import dataclass

from edge.config.schema import SimSection


@dataclass(frozen=True)
class Visit:
    """One EV visit: when it plugs in, which card it shows, when it leaves."""

    ev: str
    evse_uid: str
    card: str | None
    arrive_s: float
    depart_s: float
    energy_wanted_wh: float
    battery_wh: float
    soc_start: float
    max_current_a: float
    phases: int


CARD_DELAY_S = 20.0
"""Site seconds between plugging in and showing the card."""


def build_schedule(sim: SimSection, evse_uids: list[str]) -> list[Visit]:
    """Every visit of the simulated day, sorted by arrival."""
    visits = [
        Visit(
            ev=a.ev,
            evse_uid=a.evse,
            card=a.card,
            arrive_s=a.arrive_min * 60,
            depart_s=a.depart_min * 60,
            energy_wanted_wh=a.energy_wanted_wh,
            battery_wh=a.battery_wh,
            soc_start=a.soc_start,
            max_current_a=a.max_current_a,
            phases=a.phases,
        )
        for a in sim.arrival
    ]
    gen = sim.generate
    if gen is not None and gen.visits_per_evse:
        rng = random.Random(gen.seed)
        slot = gen.window_min * 60 / gen.visits_per_evse
        for evse_uid in evse_uids:
            for n in range(gen.visits_per_evse):
                start = n * slot
                arrive = start + rng.uniform(0.0, 0.15) * slot
                depart = arrive + rng.uniform(0.6, 0.8) * slot
                visits.append(
                    Visit(
                        ev=f"ev-{evse_uid}-{n + 1}",
                        evse_uid=evse_uid,
                        card=rng.choice(gen.cards) if gen.cards else None,
                        arrive_s=round(arrive, 1),
                        depart_s=round(depart, 1),
                        energy_wanted_wh=float(rng.randrange(4000, 30000, 500)),
                        battery_wh=float(rng.choice((40000, 60000, 77000))),
                        soc_start=round(rng.uniform(0.1, 0.6), 2),
                        max_current_a=float(rng.choice((16, 16, 32))),
                        phases=rng.choice((3, 3, 1)),
                    )
                )
    return sorted(visits, key=lambda v: (v.arrive_s, v.evse_uid))
