"""The end of a cut-up day: the stored sessions against what the EVs did.

A visit is one car's plug-in to unplug (the simulator's truth log). A session
belongs to the visit its start falls in. Two visits in a row at one EVSE can be
one session: when the first car leaves and the next arrives while the
controller is down (or killed again before it has read the board), nothing on
the bus tells them apart (see tests/integration/test_crash_loop.py). Such a
session spans both visits and is counted as merged, not lost; the energy check
is then on the group: the sessions and visits joined by spans, whose sessions
hold what its cars took.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Row = tuple[str, str, str, str, int, int, str]
"""(id, evse_uid, start, end, meter_start_wh, meter_stop_wh, stop_reason)."""
SESSIONS_SQL = (
    "SELECT id, evse_uid, start, end, meter_start_wh, meter_stop_wh, stop_reason "
    "FROM sessions ORDER BY start"
)


def ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class Visit:
    ev: str
    evse: str
    plug_in: datetime
    unplug: datetime
    energy_wh: float
    swipes: int


@dataclass
class Verdict:
    visits: list[Visit]
    charged: list[str] = field(default_factory=list)
    """Visits in which the car took energy."""
    duplicated: dict[str, list[str]] = field(default_factory=dict)
    """Visits with more than one session that the driver did not ask for."""
    restarted: list[str] = field(default_factory=list)
    """Visits whose driver swiped again and so ended a session (LOCAL) and
    started another: each session but the last stopped LOCAL, and a swipe for
    every start and every stop in the truth log."""
    orphans: list[str] = field(default_factory=list)
    """Sessions that started in no visit."""
    unbilled: list[str] = field(default_factory=list)
    """Visits that took energy and that no session covers."""
    merged: list[str] = field(default_factory=list)
    """Visits covered by a session that started in an earlier visit."""
    wrong_energy: list[tuple[str, int, float]] = field(default_factory=list)
    """Groups whose sessions do not hold what their cars took: (ids, Wh, taken)."""


def visits(truth: list[dict[str, Any]]) -> list[Visit]:
    by_ev: dict[str, dict[str, dict[str, Any]]] = {}
    for line in truth:
        by_ev.setdefault(line["ev"], {})[line["event"]] = line
    return [
        Visit(
            ev,
            v["plug_in"]["evse_uid"],
            ts(v["plug_in"]["time"]),
            ts(v["unplug"]["time"]),
            float(v["unplug"]["energy_wh"]),
            sum(t["event"] == "card" and t["ev"] == ev for t in truth),
        )
        for ev, v in by_ev.items()
        if "unplug" in v
    ]


def judge(truth: list[dict[str, Any]], sessions: list[Row]) -> Verdict:
    verdict = Verdict(visits(truth))
    owned: dict[str, list[str]] = {v.ev: [] for v in verdict.visits}
    # Sessions and the visits they span, joined into groups (union-find): each
    # group's sessions must hold the energy its visits took.
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    energy: dict[str, float] = {}
    stops: dict[str, str] = {}
    for sid, evse, start, end, m0, m1, stop in sessions:
        stops[sid] = stop
        began, ended = ts(start), ts(end)
        here = [v for v in verdict.visits if v.evse == evse]
        owners = [v for v in here if v.plug_in <= began <= v.unplug]
        if len(owners) != 1:
            verdict.orphans.append(sid)
            continue
        owned[owners[0].ev].append(sid)
        energy[sid] = m1 - m0
        for v in here:
            if v.plug_in <= ended and v.unplug >= began:
                parent[root(v.ev)] = root(sid)
                if v is not owners[0]:
                    verdict.merged.append(v.ev)
    groups: dict[str, tuple[list[str], float]] = {}
    for sid, wh in energy.items():
        ids, total = groups.get(root(sid), ([], 0.0))
        groups[root(sid)] = ([*ids, sid], total + wh)
    taken: dict[str, float] = {}
    for v in verdict.visits:
        if v.ev in parent:
            taken[root(v.ev)] = taken.get(root(v.ev), 0.0) + v.energy_wh
    for key, (ids, wh) in groups.items():
        want = taken.get(key, 0.0)
        if abs(wh - want) > 2 * len(ids) + 0.001 * want:
            verdict.wrong_energy.append((",".join(ids), int(wh), want))
    by_ev = {v.ev: v for v in verdict.visits}
    for ev, ids in owned.items():
        if len(ids) < 2:
            continue
        asked = all(stops[i] == "LOCAL" for i in ids[:-1])
        if asked and by_ev[ev].swipes >= 2 * len(ids) - 1:
            verdict.restarted.append(ev)
        else:
            verdict.duplicated[ev] = ids
    verdict.charged = [v.ev for v in verdict.visits if v.energy_wh > 1.0]
    verdict.unbilled = [ev for ev in verdict.charged if ev not in parent]
    return verdict
