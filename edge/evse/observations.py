"""What the devices report, taken into the machine's state (pure).

The board's pilot state and relay, the meter's believed readings (see
:mod:`edge.evse.reading_judge`), and a meter replaced or reset, which closes the
open session on its last good reading.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from edge.evse import relay
from edge.evse.actions import Action, CommandDone, EnableConfirmed, StopSession
from edge.evse.events import BoardRead, MeterRead, MeterReset
from edge.evse.machine_state import EvseState
from edge.evse.states import Phase
from edge.model.commands import CommandOutcome
from edge.model.period import OpenPeriod, PeriodKind

METER_RESET = "METER_RESET"
"""Stop reason of a session closed because its meter was replaced or reset."""


def meter(s: EvseState, e: MeterRead, now: float) -> EvseState:
    """A believed reading (see :mod:`edge.evse.reading_judge`).

    The meter is fresh as of the time its energy register was read. A reading
    lower than the last is not believed and does not count as the meter alive
    (the judge sends none; a new meter comes as :class:`MeterReset`).
    """
    if s.meter_wh is not None and e.energy_wh < s.meter_wh:
        return s
    seen = now if e.read_at is None else min(now, e.read_at)
    if s.meter_seen is not None:
        seen = max(seen, s.meter_seen)
    s = replace(
        s,
        meter_wh=e.energy_wh,
        meter_seen=seen,
        power_w=e.power_w,
        current_a=e.current_a,
    )
    if s.session is not None and s.session.period is not None:
        period = s.session.period.observe(e.current_a, e.power_w)
        s = replace(s, session=replace(s.session, period=period))
    return s


def meter_reset(
    s: EvseState, e: MeterReset, now: float, utc: datetime, actions: list[Action]
) -> EvseState:
    """A new meter: close the open session on the last good reading, rebase."""
    session = s.session
    if session is not None:
        wh = max(session.meter_start_wh, e.last_good_wh)
        period = session.period or OpenPeriod(0, utc, PeriodKind.PARKING, wh)
        actions.append(
            StopSession(session.id, wh, utc, METER_RESET, period.close(utc, wh))
        )
        actions += [CommandDone(r, CommandOutcome.ACCEPTED) for r in s.stop_requests]
        s = replace(
            s,
            session=None,
            stopping=None,
            stop_after=None,
            stop_requests=(),
            replug=False,
            phase=Phase.FINISHED,
        )
    return replace(
        s,
        meter_wh=e.baseline_wh,
        meter_seen=min(now, e.read_at),
        power_w=e.power_w,
        current_a=e.current_a,
    )


def board(s: EvseState, e: BoardRead, now: float, actions: list[Action]) -> EvseState:
    """The board answered: its pilot state, relay and enable."""
    s = relay.read(s, e.cp, e.relay_closed, now)
    # The previous poll's enable came off the wire before this poll's CP frame.
    earlier = s.board_enabled is False and e.enabled is False
    s = replace(
        s,
        cp=e.cp,
        board_seen=now,
        board_enabled=e.enabled,
        disabled_before_cp=earlier,
    )
    session = s.session
    if e.enabled and s.contactor and session and not session.enable_confirmed:
        actions.append(EnableConfirmed(session.id))
        s = replace(s, session=replace(session, enable_confirmed=True))
    return s
