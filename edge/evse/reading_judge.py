"""Meter readings are judged here before anything believes them (pure, no IO).

One EVSE's meter answers an import-energy register every poll. A value is
believed (:class:`Accept`) only when it is plausible against the last believed
one:

- finite and not negative (a NaN, an infinity or a register that answered "not
  available" is :attr:`Reason.NOT_FINITE`);
- not lower (:attr:`Reason.BACKWARDS`);
- not higher than the EVSE can deliver in the time between the two reads (its
  phases x maximum current x voltage, plus a margin), so that one bad frame of
  +10^6 kWh is not a session (:attr:`Reason.TOO_FAST`);
- moving when the meter's own power says the EV draws well above idle, for
  longer than the register's resolution explains (:attr:`Reason.STUCK`).

A rejected reading is counted (:attr:`JudgeState.counts`) and believes nothing:
the meter's freshness is not renewed, so a register that stays wrong for the
EVSE's device timeout reads as a silent meter and its contactor opens. The next
plausible value is judged against the last believed one, so a glitch costs no
energy and recovery is immediate.

A replaced or reset meter reads far lower (at least ``reset_drop_wh``) and then
counts on from there: once ``reset_confirm`` consecutive far-lower readings are
plausible among themselves, the verdict is :class:`Reset`, carrying the last
good reading (the open session closes on it) and the new baseline. The very
first reading (nothing believed yet) is believed once the next one is plausible
after it, so that a glitch at start-up is not taken as the baseline.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum

__all__ = [
    "Accept",
    "JudgeLimits",
    "JudgeState",
    "Pending",
    "Reason",
    "Reject",
    "Repeat",
    "Reset",
    "Sample",
    "Verdict",
    "judge",
]

POWER_MARGIN = 1.10
"""How much above its rated power an EVSE's meter may count (tolerances)."""
POWER_MARGIN_W = 500.0
"""Plus this, so that a small EVSE's short poll interval still has room."""
STUCK_SLACK_WH = 10.0
"""Energy a stalled register may hide beyond two steps of its resolution."""


class Reason(StrEnum):
    """Why a reading was not believed."""

    NOT_FINITE = "NOT_FINITE"
    BACKWARDS = "BACKWARDS"
    TOO_FAST = "TOO_FAST"
    STUCK = "STUCK"


@dataclass(frozen=True)
class JudgeLimits:
    """What one EVSE's meter can plausibly report."""

    max_power_w: float
    """The most the EVSE delivers: phases x max current x voltage (no margin)."""
    step_wh: float = 1.0
    """The energy register's step (an integer register's scale), in Wh."""
    relative_step: float = 0.0
    """A float register's step as a fraction of its value (2**-23 for float32)."""
    stuck_power_w: float = 500.0
    """Power (the meter's own) above which the energy register must move."""
    reset_drop_wh: float = 1000.0
    """A reading this much lower than the last good one may be a new meter."""
    reset_confirm: int = 3
    """Consecutive plausible far-lower readings that confirm a new meter."""
    time_slack_s: float = 0.0
    """How far a read time may be off the moment the register was read (a
    poll's frames, the event loop's latency): the rate check allows this much
    more time. On a scaled clock that is a wall allowance in site seconds."""

    @property
    def ceiling_w(self) -> float:
        """The power the rate check allows, margin included."""
        return self.max_power_w * POWER_MARGIN + POWER_MARGIN_W

    def resolution_wh(self, energy_wh: float) -> float:
        """The register's step at ``energy_wh``."""
        return max(self.step_wh, self.relative_step * abs(energy_wh))


@dataclass(frozen=True)
class Sample:
    """One read of the energy register and, read with it, the meter's power."""

    energy_wh: float
    read_at: float
    """Site-monotonic time the energy register was read on the wire."""
    power_w: float | None = None
    """The meter's power read in the same poll; None if not read then."""


@dataclass(frozen=True)
class Accept:
    """Believe ``sample``."""

    sample: Sample
    recovered: Reason | None = None
    """The rejection episode this reading ends, if any (log it once)."""


@dataclass(frozen=True)
class Reject:
    """Do not believe this reading."""

    reason: Reason
    detail: str
    first: bool
    """The first rejection of its episode (log it once, not once per poll)."""


@dataclass(frozen=True)
class Reset:
    """A new (or reset) meter: close on ``last_good``, go on from ``baseline``."""

    last_good: Sample
    baseline: Sample


@dataclass(frozen=True)
class Pending:
    """The first reading: believed once the next one is plausible after it."""


@dataclass(frozen=True)
class Repeat:
    """The register was not read again since the last judged read: nothing new."""


Verdict = Accept | Reject | Reset | Pending | Repeat


@dataclass(frozen=True)
class JudgeState:
    """What the judge remembers of one meter."""

    last: Sample | None = None
    """The last believed reading."""
    seen_at: float | None = None
    """Read time of the last judged reading (believed or not)."""
    stall_wh: float = 0.0
    """Energy the meter's power says flowed since the register last moved."""
    candidates: tuple[Sample, ...] = ()
    """A run of far-lower readings, plausible among themselves (a new meter?)."""
    rejecting: Reason | None = None
    """The rejection episode in progress."""
    counts: Mapping[Reason, int] = field(default_factory=dict)
    """Rejected readings, by reason."""
    resets: int = 0
    """Meter replacements (or resets) taken as a new baseline."""


def judge(
    state: JudgeState, sample: Sample, limits: JudgeLimits
) -> tuple[JudgeState, Verdict]:
    """Judge ``sample`` against what ``state`` believes; return both updated."""
    previous = state.seen_at
    if previous is not None and sample.read_at <= previous:
        return state, Repeat()
    state = replace(state, seen_at=sample.read_at)
    energy = sample.energy_wh
    if not math.isfinite(energy) or energy < 0:
        state = replace(state, candidates=())
        return _reject(state, Reason.NOT_FINITE, f"energy register reads {energy}")
    last = state.last
    if last is None:
        return _first(state, sample, limits)
    if last.energy_wh - energy >= limits.reset_drop_wh:
        return _far_lower(state, last, sample, limits)
    state = replace(state, candidates=())
    if energy < last.energy_wh:
        drop = last.energy_wh - energy
        return _reject(state, Reason.BACKWARDS, f"went back {drop:.0f} Wh")
    rise = energy - last.energy_wh
    if rise > _allowed_rise_wh(last, sample, limits):
        dt = sample.read_at - last.read_at
        return _reject(state, Reason.TOO_FAST, f"rose {rise:.0f} Wh in {dt:.1f} s")
    since = last.read_at if previous is None else previous
    stall = _stall_wh(state.stall_wh, since, last, sample, limits)
    if stall > 2 * limits.resolution_wh(energy) + STUCK_SLACK_WH:
        state = replace(state, stall_wh=stall)
        return _reject(
            state,
            Reason.STUCK,
            f"still {energy:.0f} Wh while drawing {sample.power_w:.0f} W",
        )
    recovered = state.rejecting
    state = replace(state, last=sample, stall_wh=stall, rejecting=None)
    return state, Accept(sample, recovered)


def _allowed_rise_wh(last: Sample, sample: Sample, limits: JudgeLimits) -> float:
    dt = max(0.0, sample.read_at - last.read_at) + limits.time_slack_s
    return limits.ceiling_w * dt / 3600.0 + 2 * limits.resolution_wh(sample.energy_wh)


def _stall_wh(
    stall_wh: float, since: float, last: Sample, sample: Sample, limits: JudgeLimits
) -> float:
    """Energy the meter's power accounts for since the register last moved.

    ``since`` is the read time of the reading judged before ``sample``.
    """
    if sample.energy_wh > last.energy_wh or not math.isfinite(since):
        return 0.0
    power = sample.power_w
    if power is None or not math.isfinite(power) or power <= limits.stuck_power_w:
        return 0.0  # not drawing well above idle: a still register is right
    return stall_wh + power * max(0.0, sample.read_at - since) / 3600.0


def _far_lower(
    state: JudgeState, last: Sample, sample: Sample, limits: JudgeLimits
) -> tuple[JudgeState, Verdict]:
    run = state.candidates
    if run and _plausible_after(run[-1], sample, limits):
        run = (*run, sample)
    else:
        run = (sample,)
    if len(run) >= limits.reset_confirm:
        counted = replace(
            state,
            last=sample,
            candidates=(),
            stall_wh=0.0,
            rejecting=None,
            resets=state.resets + 1,
        )
        return counted, Reset(last, sample)
    state = replace(state, candidates=run)
    drop = last.energy_wh - sample.energy_wh
    return _reject(
        state,
        Reason.BACKWARDS,
        f"{drop:.0f} Wh lower (a new meter? {len(run)}/{limits.reset_confirm})",
    )


def _first(
    state: JudgeState, sample: Sample, limits: JudgeLimits
) -> tuple[JudgeState, Verdict]:
    """Nothing believed yet: the baseline is two readings plausible together."""
    run = state.candidates
    if run and _plausible_after(run[-1], sample, limits):
        return replace(state, last=sample, candidates=()), Accept(sample)
    return replace(state, candidates=(sample,)), Pending()


def _plausible_after(before: Sample, sample: Sample, limits: JudgeLimits) -> bool:
    rise = sample.energy_wh - before.energy_wh
    return 0 <= rise <= _allowed_rise_wh(before, sample, limits)


def _reject(
    state: JudgeState, reason: Reason, detail: str
) -> tuple[JudgeState, Verdict]:
    counts = dict(state.counts)
    counts[reason] = counts.get(reason, 0) + 1
    first = state.rejecting is not reason
    return replace(state, counts=counts, rejecting=reason), Reject(
        reason, detail, first
    )
