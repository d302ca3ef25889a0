"""The EVSE's meter input: a meter's readings, judged, as state-machine events.

Every poll's energy reading goes through :func:`reading_judge.judge`; only a
believed one becomes a :class:`MeterRead` (stamped with the time its register
was read on the wire), a new meter a :class:`MeterReset`. Rejections are
counted by reason and logged once per episode, not once per poll.
"""

from __future__ import annotations

import logging
import math

from edge.evse.events import MeterRead, MeterReset
from edge.evse.machine_state import EvseSettings
from edge.evse.reading_judge import (
    Accept,
    JudgeLimits,
    JudgeState,
    Pending,
    Reject,
    Repeat,
    Reset,
    Sample,
    judge,
)
from edge.model.events import DeviceSilent, MeterReading

log = logging.getLogger(__name__)

STUCK_POWER_W = 500.0
"""The meter's own power above which its energy register must move (at least;
twice the EVSE's idle power if that is higher)."""
READ_TIME_SLACK_WALL_S = 0.5
"""Wall seconds a reading's read time may be off when the register was read:
the poll's other frames and the event loop's latency (a busy Raspberry Pi)."""


def limits_for(settings: EvseSettings, time_slack_s: float = 0.0) -> JudgeLimits:
    """The judge's limits for one EVSE's meter."""
    return JudgeLimits(
        settings.max_power_w,
        settings.energy_step_wh,
        settings.energy_relative_step,
        stuck_power_w=max(STUCK_POWER_W, 2 * settings.idle_power_w),
        time_slack_s=time_slack_s,
    )


class MeterInput:
    """Judges one EVSE's meter readings; holds what the judge believes."""

    def __init__(self, settings: EvseSettings, time_slack_s: float = 0.0) -> None:
        self.evse_uid = settings.evse_uid
        self.limits = limits_for(settings, time_slack_s)
        self.state = JudgeState()

    def seed(self, energy_wh: int) -> None:
        """Believe ``energy_wh`` (a resumed session's last stored reading).

        Its read time is unknown, so the next reading's rise is not rate
        checked; a far lower one is still seen as a new meter. It was stored
        rounded to the Wh, so the meter itself may read up to half a Wh lower:
        that is not a reading that went back.
        """
        self.state = JudgeState(last=Sample(energy_wh - 0.5, -math.inf))

    @property
    def rejections(self) -> dict[str, int]:
        """Readings not believed, by reason."""
        return {r.value: n for r, n in self.state.counts.items()}

    def feed(self, item: MeterReading | DeviceSilent) -> MeterRead | MeterReset | None:
        """Judge one poll; return the event the state machine should see, if any."""
        if isinstance(item, DeviceSilent):
            return None  # silence is detected by time in the state machine
        if item.energy_import_wh is not None:
            energy, read_at = item.energy_import_wh.value, item.energy_import_wh.read_at
        elif item.energy_unavailable:
            energy, read_at = math.nan, item.mono
        else:
            return None  # not read in this poll, or not a number
        # The meter's power counts for the judge only if read with the energy.
        p = item.power_w
        power = p.value if p is not None and p.read_at == read_at else None
        self.state, verdict = judge(
            self.state, Sample(energy, read_at, power), self.limits
        )
        current = item.max_current_a
        uid = self.evse_uid
        match verdict:
            case Accept(recovered=recovered):
                if recovered is not None:
                    log.info(
                        "EVSE %s: meter reads plausibly again (after %s)",
                        uid,
                        recovered,
                    )
                return MeterRead(round(energy), power or 0.0, current, read_at)
            case Reject(reason=reason, detail=detail, first=first):
                if first:
                    log.warning(
                        "EVSE %s: meter reading not believed (%s): %s; the meter "
                        "counts as silent until it reads plausibly again",
                        uid,
                        reason,
                        detail,
                    )
                return None
            case Reset(last_good=last_good, baseline=baseline):
                log.warning(
                    "EVSE %s: meter replaced or reset (%.0f Wh, now %.0f Wh): the "
                    "open session closes on its last good reading",
                    uid,
                    last_good.energy_wh,
                    baseline.energy_wh,
                )
                return MeterReset(
                    round(last_good.energy_wh),
                    round(baseline.energy_wh),
                    read_at,
                    power or 0.0,
                    current,
                )
            case Pending() | Repeat():
                return None
