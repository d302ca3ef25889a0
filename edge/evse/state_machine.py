"""The per-EVSE state machine: pure, (state, event, now) -> (state, actions).

It alone decides the contactor. Safety rules, checked after every event:
- the contactor is closed only with an active session, a connected EV (B, C, D),
  fresh readings from both meter and board, no stop in progress and no fault;
- silence of the meter or board beyond ``device_timeout_s``, CP state E or F, a
  welded contactor, or an unknown state at start-up open it (phase FAULTED or
  STARTING) and the active session is kept, to resume when the fault clears;
- a board that reports its relay is held to the command: closed for longer
  than ``relay_settle_s`` while commanded open is RELAY_WELDED (until it opens);
  open that long while commanded closed and the EV asks for current (C, D) is
  RELAY_NOT_CLOSED, held for ``relay_retry_s`` before closing is tried again
  (or until the EV stops asking); both OUTOFORDER;
- a session is closed with a meter reading taken after the stop was decided, so
  that the energy that flowed until the contactor opened is counted.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import replace
from datetime import datetime

from edge.evse import limits, relay, remote
from edge.evse.events import (
    Action,
    Authorize,
    BoardRead,
    CancelRequest,
    CancelReservation,
    Checkpoint,
    CommandDone,
    DropReservation,
    EnableConfirmed,
    Event,
    MeterRead,
    MeterReset,
    MirrorRead,
    NewPeriod,
    Rejected,
    RemoteStart,
    RemoteStop,
    Reserve,
    SetContactor,
    SetCurrentLimit,
    SetStatus,
    StartSession,
    StopSession,
    TokenPresented,
)
from edge.evse.model import (
    ActiveSession,
    EvseSettings,
    EvseState,
    PendingAuth,
    Reservation,
)
from edge.evse.periods import advance
from edge.evse.states import CpState, FaultKind, OcpiEvseStatus, Phase
from edge.model.authorization import AuthDecision
from edge.model.commands import CommandOutcome
from edge.model.period import OpenPeriod, PeriodKind

__all__ = [
    "ActiveSession",
    "EvseSettings",
    "EvseState",
    "PendingAuth",
    "Reservation",
    "initial_state",
    "session_id_for",
    "step",
]

SESSION_NAMESPACE = uuid.UUID("5b0c5a0e-3c1d-4f7e-9a51-7d1f0e2a6c11")
METER_RESET = "METER_RESET"
"""Stop reason of a session closed because its meter was replaced or reset."""
WHILE_DOWN = "EV_DISCONNECTED_WHILE_DOWN"
"""Stop reason of a resumed session whose EV left while the controller was down."""


def initial_state(
    now: float,
    resumed: ActiveSession | None = None,
    reservation: Reservation | None = None,
) -> EvseState:
    """State at start-up: the session and reservation the store still holds."""
    return EvseState(
        phase=Phase.STARTING, born=now, session=resumed, reservation=reservation
    )


def next_boundary(utc: datetime, interval_s: float) -> float:
    """The first multiple of ``interval_s`` (UTC epoch seconds) after ``utc``."""
    return (math.floor(utc.timestamp() / interval_s) + 1) * interval_s


def session_id_for(evse_uid: str, start: datetime, seq: int = 0) -> str:
    """A unique, deterministic session id (36 characters, OCPI CiString(36)).

    ``seq`` counts the sessions this machine started, so that a session started
    in the same instant another one stopped gets an id of its own.
    """
    return str(uuid.uuid5(SESSION_NAMESPACE, f"{evse_uid}|{start.isoformat()}|{seq}"))


def step(
    s: EvseState, event: Event, now: float, utc: datetime, cfg: EvseSettings
) -> tuple[EvseState, list[Action]]:
    """Apply ``event`` at ``now`` (monotonic) and ``utc``; return state and actions."""
    actions: list[Action] = []
    reply: CommandDone | None = None
    if isinstance(event, BoardRead):
        s = _board(s, event, now, actions)
    elif isinstance(event, MirrorRead):
        s = replace(s, welded=event.welded)
    elif isinstance(event, MeterRead):
        s = _meter(s, event, now)
    elif isinstance(event, MeterReset):
        s = _meter_reset(s, event, now, utc, actions)
    elif isinstance(event, TokenPresented):
        s = _token(s, event.uid, now, cfg, actions)
    elif isinstance(event, AuthDecision):
        s = _decision(s, event, now, actions)
    elif isinstance(event, RemoteStop):
        s = _remote_stop(s, event, now, actions)
    elif isinstance(event, RemoteStart):
        s = remote.remote_start(s, event, now, cfg, actions)
    elif isinstance(event, Reserve):
        s = remote.reserve(s, event, utc, actions)
    elif isinstance(event, CancelReservation):
        s = remote.cancel_reservation(s, event, actions)
    elif isinstance(event, CancelRequest):
        s = remote.cancel_request(s, event)
    elif isinstance(event, SetCurrentLimit):
        s, reply = limits.set_limit(s, event, cfg)
    s = _evaluate(s, now, utc, cfg, actions)
    if reply is not None:  # after the board was told the new offer
        actions.append(reply)
    return s, actions


def _meter(s: EvseState, e: MeterRead, now: float) -> EvseState:
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


def _meter_reset(
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


def _board(s: EvseState, e: BoardRead, now: float, actions: list[Action]) -> EvseState:
    s = relay.read(s, e.cp, e.relay_closed, now)
    s = replace(s, cp=e.cp, board_seen=now, board_enabled=e.enabled)
    session = s.session
    if e.enabled and s.contactor and session and not session.enable_confirmed:
        actions.append(EnableConfirmed(session.id))
        s = replace(s, session=replace(session, enable_confirmed=True))
    return s


def _remote_stop(
    s: EvseState, e: RemoteStop, now: float, actions: list[Action]
) -> EvseState:
    session = s.session
    if session is None or (e.session_id is not None and e.session_id != session.id):
        if e.request is not None:
            actions.append(
                CommandDone(e.request, CommandOutcome.FAILED, "session not active")
            )
        return s
    s = _request_stop(s, e.reason, now)
    if e.request is not None:
        s = replace(s, stop_requests=(*s.stop_requests, e.request))
    return s


def _token(
    s: EvseState, uid: str, now: float, cfg: EvseSettings, actions: list[Action]
) -> EvseState:
    uid = uid.upper()
    if s.session is not None and s.stopping is None:
        if s.session.token_uid is not None and uid == s.session.token_uid.upper():
            if now - s.session.started < cfg.stop_guard_s:
                return s
            return _request_stop(s, "LOCAL", now)
        # Another card may stop the session if it belongs to the same group.
        actions.append(Authorize(uid))
        return replace(s, pending=PendingAuth(uid, now + cfg.auth_window_s, "stop"))
    if s.session is not None:
        return s  # already stopping
    if s.fault is not None and s.fault.status is OcpiEvseStatus.OUTOFORDER:
        # Broken hardware refuses the card; a silent meter or board (often a
        # passing bus problem) keeps it, to start once the devices answer again.
        actions.append(Rejected(uid, f"EVSE out of order ({s.fault.value})"))
        return remote.drop_pending(s, actions, CommandOutcome.FAILED, "card refused")
    p = s.pending
    if p is not None and p.request is not None and p.uid == uid:
        return s  # the remote start's own card: already accepted
    s = remote.drop_pending(s, actions, CommandOutcome.FAILED, "superseded by a card")
    actions.append(Authorize(uid))
    return replace(s, pending=PendingAuth(uid, now + cfg.auth_window_s, "start"))


def _decision(
    s: EvseState, d: AuthDecision, now: float, actions: list[Action]
) -> EvseState:
    p = s.pending
    if p is None or p.uid != d.uid.upper() or p.decision is not None:
        return s  # late or unsolicited answer
    if p.purpose == "stop":
        same_group = (
            d.accepted
            and s.session is not None
            and d.group_id is not None
            and d.group_id == s.session.group_id
        )
        if same_group:
            return replace(_request_stop(s, "LOCAL_GROUP", now), pending=None)
        actions.append(Rejected(d.uid, "EVSE is in use by another card"))
        return replace(s, pending=None)
    if not d.accepted:
        actions.append(Rejected(d.uid, d.reason))
        return replace(s, pending=None)
    if s.reservation is not None and not s.reservation.admits(d.uid, d.group_id):
        actions.append(Rejected(d.uid, "EVSE reserved for another token"))
        return replace(s, pending=None)
    return replace(s, pending=replace(p, decision=d))


def _request_stop(s: EvseState, reason: str, now: float) -> EvseState:
    if s.session is None or s.stopping is not None:
        return s
    return replace(s, stopping=reason, stop_after=now)


def _detect_fault(s: EvseState, now: float, cfg: EvseSettings) -> FaultKind | None:
    limit = cfg.device_timeout_s
    if now - (s.board_seen if s.board_seen is not None else s.born) > limit:
        return FaultKind.BOARD_SILENT
    if now - (s.meter_seen if s.meter_seen is not None else s.born) > limit:
        return FaultKind.METER_SILENT
    if s.cp is not None and s.cp.error:
        return FaultKind.CP_ERROR
    if s.welded:
        return FaultKind.WELDED_CONTACTOR
    return relay.fault(s, now, cfg)


def _evaluate(
    s: EvseState, now: float, utc: datetime, cfg: EvseSettings, actions: list[Action]
) -> EvseState:
    s = relay.hold(s, now, cfg)
    fault = _detect_fault(s, now, cfg)
    if s.pending is not None and now > s.pending.expires:
        s = remote.drop_pending(
            s,
            actions,
            CommandOutcome.FAILED,
            f"no EV plugged in within {cfg.auth_window_s:g} s",
        )
    s = remote.expire_reservation(s, utc, actions)
    if fault is not None and fault.status is OcpiEvseStatus.OUTOFORDER:
        s = remote.drop_for_fault(s, f"EVSE out of order ({fault.value})", actions)
    if fault is not None:
        s = replace(s, phase=Phase.FAULTED, fault=fault)
    elif (
        s.cp is None
        or s.meter_wh is None
        or (cfg.board_latch and s.board_enabled is None)
    ):
        s = replace(s, phase=Phase.STARTING, fault=None)
    else:
        s = _run(replace(s, fault=None), s.cp, s.meter_wh, now, utc, cfg, actions)
    return _outputs(s, cfg, actions)


def _run(
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
        s = _request_stop(s, gone, now)
    if (
        s.session is not None
        and s.stopping is None
        and s.session.enable_confirmed
        and s.board_enabled is False
    ):
        # The board disabled itself after the session's EV left: the EV now
        # plugged in is another one, which must not charge on this session.
        s = replace(_request_stop(s, gone, now), replug=True)
    if s.session is not None and s.stopping is not None:
        fresh = (
            s.meter_seen is not None
            and s.stop_after is not None
            and (s.meter_seen > s.stop_after)
        )
        if not fresh:
            return replace(s, phase=Phase.FINISHING)
        period = s.session.period or OpenPeriod(0, utc, PeriodKind.PARKING, meter_wh)
        final = period.close(utc, meter_wh)
        actions.append(StopSession(s.session.id, meter_wh, utc, s.stopping, final))
        actions += [CommandDone(r, CommandOutcome.ACCEPTED) for r in s.stop_requests]
        s = replace(
            s,
            session=None,
            stopping=None,
            stop_after=None,
            stop_requests=(),
            replug=False,
            phase=Phase.PREPARING if s.replug else Phase.FINISHED,
        )
    if s.session is not None:
        s = _track_period(s, cp, meter_wh, now, utc, cfg, actions)
        s = _checkpoint(s, meter_wh, utc, cfg, actions)
        charging = cp in (CpState.C, CpState.D)
        return replace(s, phase=Phase.CHARGING if charging else Phase.SUSPENDED_EV)
    if not cp.connected:
        return replace(s, phase=Phase.AVAILABLE)
    # EV connected, no session: start one if a card is accepted (or free vend).
    p = s.pending
    decision = p.decision if p is not None and p.purpose == "start" else None
    held = s.reservation
    if (
        decision is not None
        and held
        and not held.admits(decision.uid, decision.group_id)
    ):
        actions.append(Rejected(decision.uid, "EVSE reserved for another token"))
        s = remote.drop_pending(s, actions, CommandOutcome.FAILED, "EVSE reserved")
        p, decision = None, None
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
        )
        return replace(
            s,
            session=session,
            pending=None,
            started_count=s.started_count + 1,
            phase=Phase.CHARGING if charging else Phase.SUSPENDED_EV,
        )
    if s.phase in (Phase.FINISHED, Phase.FINISHING):
        return replace(s, phase=Phase.FINISHED)
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
    drawing = cp in (CpState.C, CpState.D) and s.power_w > cfg.idle_power_w
    period, closed = advance(period, drawing, now, utc, meter_wh, cfg.period_hold_s)
    if closed is not None:
        actions.append(NewPeriod(session.id, closed, period, meter_wh))
    return replace(s, session=replace(session, period=period))


def _outputs(s: EvseState, cfg: EvseSettings, actions: list[Action]) -> EvseState:
    closed = (
        s.phase in (Phase.CHARGING, Phase.SUSPENDED_EV)
        and s.session is not None
        and s.stopping is None
        and s.fault is None
        and s.cp is not None
        and s.cp.connected
    )
    offer = limits.offer_a(s, cfg) if closed else 0.0
    if closed != s.contactor:
        actions.append(SetContactor(closed, offer))
        # a new command: the relay gets its settle time again
        s = replace(s, contactor=closed, relay_mismatch=None, offered_a=offer)
    elif closed and offer != s.offered_a:  # a new limit while charging
        actions.append(SetContactor(True, offer))
        s = replace(s, offered_a=offer)
    status, reason = _status(s)
    # Only the OCPI status is published and stored; a phase change within one
    # status (CHARGING <-> SUSPENDED_EV) is not a status change.
    if status != s.status or (reason != s.status_reason and s.fault is not None):
        actions.append(SetStatus(status, reason))
        s = replace(s, status=status, status_reason=reason)
    return s


def _status(s: EvseState) -> tuple[OcpiEvseStatus, str | None]:
    if s.fault is not None:
        return s.fault.status, s.fault.value
    if s.phase is Phase.STARTING:
        return OcpiEvseStatus.UNKNOWN, "starting"
    if s.reservation is not None and s.session is None:
        return OcpiEvseStatus.RESERVED, None
    if s.phase is Phase.AVAILABLE:
        return OcpiEvseStatus.AVAILABLE, None
    return OcpiEvseStatus.CHARGING, s.phase.value
