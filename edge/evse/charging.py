"""A session's life on an EVSE with fresh readings and no fault (pure).

It starts when an accepted card (or free vend) meets a plugged-in EV; its
periods are cut when the EV switches between charging and parking; it is
checkpointed on site-wide boundaries; it closes on a meter reading taken after
the stop was decided, so that the energy that flowed until the contactor opened
is counted.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import replace
from datetime import datetime, timedelta

from edge.evse.actions import (
    Action,
    Checkpoint,
    CommandDone,
    DropReservation,
    NewPeriod,
    StartSession,
    StopSession,
)
from edge.evse.machine_state import ActiveSession, EvseSettings, EvseState, request_stop
from edge.evse.periods import advance, interrupt
from edge.evse.states import CpState, FaultKind, Phase
from edge.model.commands import CommandOutcome
from edge.model.period import OpenPeriod, PeriodKind

SESSION_NAMESPACE = uuid.UUID("5b0c5a0e-3c1d-4f7e-9a51-7d1f0e2a6c11")
WHILE_DOWN = "EV_DISCONNECTED_WHILE_DOWN"
"""Stop reason of a resumed session whose EV left while the controller was down."""


def next_boundary(utc: datetime, interval_s: float) -> float:
    """The first multiple of ``interval_s`` (UTC epoch seconds) after ``utc``."""
    return (math.floor(utc.timestamp() / interval_s) + 1) * interval_s


def session_id_for(evse_uid: str, start: datetime, seq: int) -> str:
    """A unique, deterministic session id (36 characters, OCPI CiString(36)).

    ``seq`` counts the sessions this machine started, so that a session started
    in the same instant another one stopped gets an id of its own.
    """
    return str(uuid.uuid5(SESSION_NAMESPACE, f"{evse_uid}|{start.isoformat()}|{seq}"))


def run(
    s: EvseState,
    cp: CpState,
    meter_wh: int,
    now: float,
    utc: datetime,
    cfg: EvseSettings,
    actions: list[Action],
) -> EvseState:
    """Normal operation with fresh readings and no fault."""
    # The first fresh readings after start-up tell what happened while we were
    # down (an EV that left, or was replaced by another one).
    gone = WHILE_DOWN if s.phase is Phase.STARTING else "EV_DISCONNECTED"
    if s.session is not None and s.stopping is None and not cp.connected:
        s = request_stop(s, gone, now)
    latched = (
        s.session is not None
        and s.stopping is None
        and s.session.enable_confirmed
        and s.board_enabled is False
    )
    if latched and not s.disabled_before_cp and s.phase is Phase.STARTING:
        return s  # after start-up: the next poll tells whether a new EV came
    if latched and s.disabled_before_cp:
        # The board disabled itself after the session's EV left: the EV now
        # plugged in is another one, which must not charge on this session.
        # Only a CP state read after the disable says so: within one poll the
        # CP frame comes first, and an EV that left between the two frames is
        # still seen connected (a replug there, with free vend, was a session
        # invented on the empty plug). The next poll's CP frame tells.
        s = replace(request_stop(s, gone, now), replug=True)
    if s.session is not None and s.stopping is not None:
        closed = _close_on_fresh_reading(s, meter_wh, utc, actions)
        if closed is None:
            return replace(s, phase=Phase.FINISHING)
        s = closed
    if s.session is not None:
        s = _track_period(s, cp, meter_wh, now, utc, cfg, actions)
        s = _checkpoint(s, meter_wh, utc, cfg, actions)
        charging = cp in (CpState.C, CpState.D)
        return replace(s, phase=Phase.CHARGING if charging else Phase.SUSPENDED_EV)
    if not cp.connected:
        return replace(s, phase=Phase.AVAILABLE)
    # EV connected, no session: start one if a card is accepted (or free vend).
    # A decision the reservation would not admit never waits here: the card's
    # answer (cards.decision), the remote start and a new reservation
    # (remote_commands) each refuse or drop it first.
    p = s.pending
    decision = p.decision if p is not None and p.purpose == "start" else None
    ready = s.phase is not Phase.FINISHED or decision is not None
    free = cfg.free_vend and s.reservation is None
    if ready and (decision is not None or free):
        sid = session_id_for(cfg.evse_uid, utc, s.started_count)
        charging = cp in (CpState.C, CpState.D)
        # The first period is charging: an EV in B when the card is accepted asks
        # for energy as soon as the pilot offers it; idling must hold to count.
        period = OpenPeriod(0, utc, PeriodKind.CHARGING, meter_wh)
        if decision is not None:
            start = StartSession(
                sid,
                utc,
                meter_wh,
                decision.uid,
                decision.token_type,
                decision.contract_id,
                decision.method,
                decision.reason,
                decision.group_id,
                period,
                decision.authorization_reference
                or (s.reservation.authorization_reference if s.reservation else None),
                decision.country_code,
                decision.party_id,
            )
            if s.reservation is not None:
                actions.append(DropReservation(s.reservation.id, "used"))
                s = replace(s, reservation=None)
        else:
            start = StartSession(
                sid,
                utc,
                meter_wh,
                None,
                None,
                None,
                "WHITELIST",
                "free vend EVSE",
                None,
                period,
            )
        actions.append(start)
        if p is not None and p.request is not None and decision is not None:
            actions.append(CommandDone(p.request, CommandOutcome.ACCEPTED))
        session = ActiveSession(
            sid,
            meter_wh,
            start.token_uid,
            start.group_id,
            next_boundary(utc, cfg.checkpoint_interval_s),
            now,
            period,
            start_utc=utc,
        )
        return replace(
            s,
            session=session,
            pending=None,
            started_count=s.started_count + 1,
            phase=Phase.CHARGING if charging else Phase.SUSPENDED_EV,
        )
    # FINISHING always has a session (above, it either stays FINISHING or ends
    # as FINISHED or PREPARING): only FINISHED is left to keep.
    if s.phase is Phase.FINISHED:
        return s
    return replace(s, phase=Phase.PREPARING)


def _checkpoint(
    s: EvseState, meter_wh: int, utc: datetime, cfg: EvseSettings, actions: list[Action]
) -> EvseState:
    """Checkpoint on the site-wide boundaries (multiples of the interval, UTC)."""
    session = s.session
    if session is None or session.period is None:
        return s
    upcoming = next_boundary(utc, cfg.checkpoint_interval_s)
    if session.next_checkpoint <= 0:  # resumed: wait for the next boundary
        return replace(s, session=replace(session, next_checkpoint=upcoming))
    if utc.timestamp() < session.next_checkpoint:
        return s
    # A checkpoint with nothing new (a parked EV) is not worth a flash write.
    if meter_wh != session.checkpoint_wh:
        actions.append(Checkpoint(session.id, meter_wh, session.period))
    session = replace(session, next_checkpoint=upcoming, checkpoint_wh=meter_wh)
    return replace(s, session=session)


def ev_left_during_fault(
    s: EvseState, now: float, utc: datetime, actions: list[Action]
) -> EvseState:
    """A fault keeps the session to resume it; an EV seen gone ends it all the same.

    Its stop is decided and it closes on a meter reading taken after that, as
    without a fault: a welded contactor (say) cannot cut the power, but no EV is
    plugged in to draw it, so the session of a car that left is not held open
    until the EVSE is repaired. A CP error, or no reading yet, tells nothing.
    """
    cp, wh = s.cp, s.meter_wh
    if s.session is None or cp is None or cp.connected or cp.error or wh is None:
        return s
    gone = WHILE_DOWN if s.phase is Phase.STARTING else "EV_DISCONNECTED"
    s = request_stop(s, gone, now)
    closed = _close_on_fresh_reading(s, wh, utc, actions)
    return s if closed is None else closed


def _close_on_fresh_reading(
    s: EvseState, meter_wh: int, utc: datetime, actions: list[Action]
) -> EvseState | None:
    """Close the stopping session on ``meter_wh`` if read after the stop; else None."""
    fresh = (
        s.meter_seen is not None
        and s.stop_after is not None
        and (s.meter_seen > s.stop_after)
    )
    if s.session is None or s.stopping is None or not fresh:
        return None
    period = s.session.period or OpenPeriod(0, utc, PeriodKind.PARKING, meter_wh)
    final = period.close(utc, meter_wh)
    actions.append(StopSession(s.session.id, meter_wh, utc, s.stopping, final))
    actions += [CommandDone(r, CommandOutcome.ACCEPTED) for r in s.stop_requests]
    return replace(
        s,
        session=None,
        stopping=None,
        stop_after=None,
        stop_requests=(),
        replug=False,
        phase=Phase.PREPARING if s.replug else Phase.FINISHED,
    )


def supplying(s: EvseState) -> bool:
    """Whether the EVSE offers the EV current.

    The contactor was commanded closed (at the last step, so during the
    readings now in hand) and the board does not report its relay open.
    """
    m = s.relay_mismatch
    not_closed = m is not None and m.kind is FaultKind.RELAY_NOT_CLOSED
    return s.contactor is True and not not_closed


def shown_phase(s: EvseState) -> Phase:
    """The phase of an active session once the contactor is decided for this step.

    CHARGING or SUSPENDED_EV (the EV asks, or not) while the contactor is
    commanded closed; SUSPENDED_EVSE while the EVSE itself offers nothing (a
    0 A pause, a board that latched off), whatever the EV does: it cannot ask
    for what the pilot does not offer. A relay still closing within its settle
    time keeps the phase the EV's (a board's relay follows the EV's C by a poll
    or so: it is not the EVSE holding back), and one that did not close in
    time is the fault RELAY_NOT_CLOSED, shown FAULTED, as every fault is.
    """
    if s.phase in (Phase.CHARGING, Phase.SUSPENDED_EV) and s.contactor is not True:
        return Phase.SUSPENDED_EVSE
    return s.phase


def _track_period(
    s: EvseState,
    cp: CpState,
    meter_wh: int,
    now: float,
    utc: datetime,
    cfg: EvseSettings,
    actions: list[Action],
) -> EvseState:
    """Cut the session's period when the EV switches between charging and parking."""
    session = s.session
    if session is None:
        return s
    period = session.period or OpenPeriod(0, utc, PeriodKind.CHARGING, meter_wh)
    requesting = cp in (CpState.C, CpState.D)
    board_seen = now if s.board_seen is None else min(now, s.board_seen)
    meter_seen = now if s.meter_seen is None else s.meter_seen
    # A reading older than the contactor's closing says what the EV did while
    # nothing was offered (seen under load: a 0 W reading from before the
    # close cut a parking period there).
    evidence = min(board_seen, meter_seen) if requesting else board_seen
    offered_at = s.contactor_at if s.contactor_at is not None else -math.inf
    supplied = supplying(s) and evidence >= offered_at
    if not supplied and not requesting:
        # The EVSE offers nothing and the EV does not ask: that tells nothing
        # of the EV's choice, and a switch it had begun starts again.
        return replace(s, session=replace(session, period=interrupt(period)))
    # The EVSE's own pause (a 0 A limit, a relay that did not close, the
    # contactor not closed again yet) is not parking: OCPI's PARKING_TIME is
    # time the EV does not ask for power, so an EV asking (C or D) while none
    # is offered counts as charging. Supplied, the power reading says whether
    # it draws; in B the pilot alone says it does not.
    drawing = requesting and (not supplied or s.power_w > cfg.idle_power_w)
    # The evidence is as old as its older reading: a meter reading read before
    # the period began (a backlog applied late, on a loaded machine) says
    # nothing of what the EV does now.
    seen = evidence if supplied else board_seen
    seen_utc = utc - timedelta(seconds=now - seen)
    if seen_utc < period.start:
        return s
    period, closed = advance(
        period,
        drawing,
        seen,
        seen_utc,
        meter_wh,
        cfg.period_hold_s,
        cfg.device_timeout_s,
    )
    if closed is not None:
        actions.append(NewPeriod(session.id, closed, period, meter_wh))
    return replace(s, session=replace(session, period=period))
