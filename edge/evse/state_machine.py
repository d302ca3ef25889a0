"""The per-EVSE state machine: pure, (state, event, now) -> (state, actions).

It alone decides the contactor. Safety rules, checked after every event:
- the contactor is closed only with an active session, a connected EV (B, C, D),
  fresh readings from both meter and board, no stop in progress and no fault;
- silence of the meter or board beyond ``device_timeout_s``, CP state E or F, a
  welded contactor, or an unknown state at start-up open it (phase FAULTED or
  STARTING) and the active session is kept, to resume when the fault clears;
- a session is closed with a meter reading taken after the stop was decided, so
  that the energy that flowed until the contactor opened is counted.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from edge.evse.events import (
    Action,
    AuthDecision,
    Authorize,
    BoardRead,
    Checkpoint,
    Event,
    MeterRead,
    MirrorRead,
    NewPeriod,
    Rejected,
    RemoteStop,
    SetContactor,
    SetStatus,
    StartSession,
    StopSession,
    TokenPresented,
)
from edge.evse.periods import advance
from edge.evse.states import CpState, FaultKind, OcpiEvseStatus, Phase
from edge.model.period import OpenPeriod, PeriodKind

SESSION_NAMESPACE = uuid.UUID("5b0c5a0e-3c1d-4f7e-9a51-7d1f0e2a6c11")


@dataclass(frozen=True)
class EvseSettings:
    """Per-EVSE limits and timings the machine needs."""

    evse_uid: str
    max_current_a: float = 16.0
    free_vend: bool = False
    device_timeout_s: float = 10.0
    checkpoint_interval_s: float = 900.0
    auth_window_s: float = 60.0
    """How long an accepted card waits for the EV to be plugged in."""
    idle_power_w: float = 100.0
    """Below this power an EV that is plugged in counts as parking (idle)."""
    period_hold_s: float = 60.0
    """A switch between charging and parking must hold this long to cut a period."""
    stop_guard_s: float = 10.0
    """A card shown again this soon after its session started does not stop it
    (a held card, a double tap)."""


@dataclass(frozen=True)
class ActiveSession:
    """The session the EVSE is running."""

    id: str
    meter_start_wh: int
    token_uid: str | None
    group_id: str | None
    last_checkpoint: float
    """Monotonic site time of the last checkpoint."""
    started: float = 0.0
    """Monotonic site time the session started (or was resumed)."""
    period: OpenPeriod | None = None
    checkpoint_wh: int | None = None
    """Meter reading at the last checkpoint."""


@dataclass(frozen=True)
class PendingAuth:
    """A card being authorized, or accepted and waiting for a plug-in."""

    uid: str
    expires: float
    purpose: str  # "start" or "stop"
    decision: AuthDecision | None = None


@dataclass(frozen=True)
class EvseState:
    """Everything the machine knows about one EVSE."""

    phase: Phase
    born: float
    cp: CpState | None = None
    welded: bool = False
    meter_wh: int | None = None
    meter_seen: float | None = None
    power_w: float = 0.0
    current_a: float | None = None
    board_seen: float | None = None
    session: ActiveSession | None = None
    pending: PendingAuth | None = None
    stopping: str | None = None
    stop_after: float | None = None
    fault: FaultKind | None = None
    contactor: bool | None = None
    status: OcpiEvseStatus | None = None
    status_reason: str | None = None
    started_count: int = 0


def initial_state(now: float, resumed: ActiveSession | None = None) -> EvseState:
    """State at start-up; ``resumed`` is the session the store still holds active."""
    return EvseState(phase=Phase.STARTING, born=now, session=resumed)


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
    if isinstance(event, BoardRead):
        s = replace(s, cp=event.cp, board_seen=now)
    elif isinstance(event, MirrorRead):
        s = replace(s, welded=event.welded)
    elif isinstance(event, MeterRead):
        if s.meter_wh is None or event.energy_wh >= s.meter_wh:
            s = replace(
                s,
                meter_wh=event.energy_wh,
                meter_seen=now,
                power_w=event.power_w,
                current_a=event.current_a,
            )
            if s.session is not None and s.session.period is not None:
                period = s.session.period.observe(event.current_a, event.power_w)
                s = replace(s, session=replace(s.session, period=period))
        else:
            # A meter that goes backwards (reset, swapped) is not believed; it
            # still counts as alive so that the EVSE is not faulted for it.
            s = replace(s, meter_seen=now)
    elif isinstance(event, TokenPresented):
        s = _token(s, event.uid, now, cfg, actions)
    elif isinstance(event, AuthDecision):
        s = _decision(s, event, now, actions)
    elif isinstance(event, RemoteStop):
        s = _request_stop(s, event.reason, now)
    s = _evaluate(s, now, utc, cfg, actions)
    return s, actions


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
        return replace(s, pending=None)
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
    return None


def _evaluate(
    s: EvseState, now: float, utc: datetime, cfg: EvseSettings, actions: list[Action]
) -> EvseState:
    fault = _detect_fault(s, now, cfg)
    if s.pending is not None and now > s.pending.expires:
        s = replace(s, pending=None)
    if fault is not None:
        s = replace(s, phase=Phase.FAULTED, fault=fault)
    elif s.cp is None or s.meter_wh is None:
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
    if s.session is not None and s.stopping is None and not cp.connected:
        s = _request_stop(s, "EV_DISCONNECTED", now)
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
        s = replace(
            s, session=None, stopping=None, stop_after=None, phase=Phase.FINISHED
        )
    if s.session is not None:
        s = _track_period(s, cp, meter_wh, now, utc, cfg, actions)
        session = s.session
        if (
            session is not None
            and session.period is not None
            and (now - session.last_checkpoint >= cfg.checkpoint_interval_s)
        ):
            # A checkpoint with nothing new (a parked EV) is not worth a flash write.
            if meter_wh != session.checkpoint_wh:
                actions.append(Checkpoint(session.id, meter_wh, session.period))
            s = replace(
                s, session=replace(session, last_checkpoint=now, checkpoint_wh=meter_wh)
            )
        charging = cp in (CpState.C, CpState.D)
        return replace(s, phase=Phase.CHARGING if charging else Phase.SUSPENDED_EV)
    if not cp.connected:
        return replace(s, phase=Phase.AVAILABLE)
    # EV connected, no session: start one if a card is accepted (or free vend).
    p = s.pending
    decision = p.decision if p is not None and p.purpose == "start" else None
    ready = s.phase is not Phase.FINISHED or decision is not None
    if ready and (decision is not None or cfg.free_vend):
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
            )
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
        session = ActiveSession(
            sid, meter_wh, start.token_uid, start.group_id, now, now, period
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
    if closed != s.contactor:
        actions.append(SetContactor(closed, cfg.max_current_a if closed else 0.0))
        s = replace(s, contactor=closed)
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
    if s.phase is Phase.AVAILABLE:
        return OcpiEvseStatus.AVAILABLE, None
    return OcpiEvseStatus.CHARGING, s.phase.value
