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
- a contactor whose relay module says it stayed open while its coil was on
  (mirror contact) is CONTACTOR_NOT_CLOSED, OUTOFORDER for ``relay_retry_s``,
  then closing is tried again;
- a session is closed with a meter reading taken after the stop was decided, so
  that the energy that flowed until the contactor opened is counted; an EV seen
  gone stops its session during a fault too (a welded contactor holds no
  session of a car that left until the repair);
- a limit of 0 A pauses a session: the contactor opens and the session stays
  open until a limit of 6 A or more (load management, :mod:`edge.evse.limits`);
  its phase is SUSPENDED_EVSE meanwhile, the OCPI status CHARGING;
- a latching board that reads disabled after the session's enable was confirmed
  keeps the contactor open; a new EV is concluded (and the session closed) only
  from a CP state read after the disable, i.e. on the next poll
  (:mod:`edge.evse.charging`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from edge.evse import cards, charging, limits, observations, relay
from edge.evse import remote_commands as remote
from edge.evse.actions import Action, CommandDone, SetContactor, SetStatus
from edge.evse.charging import session_id_for
from edge.evse.events import (
    BoardRead,
    CancelRequest,
    CancelReservation,
    Event,
    MeterRead,
    MeterReset,
    MirrorRead,
    RemoteStart,
    RemoteStop,
    Reserve,
    SetCurrentLimit,
    TokenPresented,
)
from edge.evse.machine_state import (
    ActiveSession,
    EvseSettings,
    EvseState,
    PendingAuth,
    Reservation,
)
from edge.evse.observations import METER_RESET
from edge.evse.states import EvseStatus, FaultKind, Phase
from edge.model.authorization import AuthDecision
from edge.model.commands import CommandOutcome

__all__ = [
    "METER_RESET",
    "ActiveSession",
    "EvseSettings",
    "EvseState",
    "PendingAuth",
    "Reservation",
    "initial_state",
    "session_id_for",
    "step",
]


SESSION_PHASES = (Phase.CHARGING, Phase.SUSPENDED_EV, Phase.SUSPENDED_EVSE)
"""The phases of a running session (not stopping) with no fault."""


def initial_state(
    now: float,
    resumed: ActiveSession | None = None,
    reservation: Reservation | None = None,
) -> EvseState:
    """State at start-up: the session and reservation the store still holds."""
    return EvseState(
        phase=Phase.STARTING, born=now, session=resumed, reservation=reservation
    )


def step(
    s: EvseState, event: Event, now: float, utc: datetime, cfg: EvseSettings
) -> tuple[EvseState, list[Action]]:
    """Apply ``event`` at ``now`` (monotonic) and ``utc``; return state and actions."""
    actions: list[Action] = []
    reply: CommandDone | None = None
    if isinstance(event, BoardRead):
        s = observations.board(s, event, now, actions)
    elif isinstance(event, MirrorRead):
        s = replace(s, welded=event.welded)
        if event.not_closed:
            s = relay.contactor_not_closed(s, now, cfg)
    elif isinstance(event, MeterRead):
        s = observations.meter(s, event, now)
    elif isinstance(event, MeterReset):
        s = observations.meter_reset(s, event, now, utc, actions)
    elif isinstance(event, TokenPresented):
        s = cards.token(s, event.uid, now, cfg, actions)
    elif isinstance(event, AuthDecision):
        s = cards.decision(s, event, now, actions)
    elif isinstance(event, RemoteStop):
        s = remote.remote_stop(s, event, now, actions)
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
    if fault is not None and fault.status is EvseStatus.OUTOFORDER:
        s = remote.drop_for_fault(s, f"EVSE out of order ({fault.value})", actions)
    if fault is not None:
        s = charging.ev_left_during_fault(s, now, utc, actions)
        s = replace(s, phase=Phase.FAULTED, fault=fault)
    elif (
        s.cp is None
        or s.meter_wh is None
        or (cfg.board_latch and s.board_enabled is None)
    ):
        s = replace(s, phase=Phase.STARTING, fault=None)
    else:
        cp, wh = s.cp, s.meter_wh
        s = charging.run(replace(s, fault=None), cp, wh, now, utc, cfg, actions)
    return _outputs(s, now, cfg, actions)


def _outputs(
    s: EvseState, now: float, cfg: EvseSettings, actions: list[Action]
) -> EvseState:
    closed = (
        s.phase in SESSION_PHASES
        and s.session is not None
        and s.stopping is None
        and s.fault is None
        and s.cp is not None
        and s.cp.connected
        and not limits.paused(s)
        # a board that latched off after this session's EV left is not enabled
        # again for this session, not even while a poll confirms who is plugged in
        and not (s.session.enable_confirmed and s.board_enabled is False)
    )
    offer = limits.offer_a(s, cfg) if closed else 0.0
    if closed != s.contactor:
        actions.append(SetContactor(closed, offer))
        # a new command: the relay gets its settle time again
        s = replace(
            s, contactor=closed, contactor_at=now, relay_mismatch=None, offered_a=offer
        )
    elif closed and offer != s.offered_a:  # a new limit while charging
        actions.append(SetContactor(True, offer))
        s = replace(s, offered_a=offer)
    s = replace(s, phase=charging.shown_phase(s))
    status, reason = _status(s)
    # Only the OCPI status is published and stored; a phase change within one
    # status (CHARGING, SUSPENDED_EV, SUSPENDED_EVSE) is not a status change.
    if status != s.status or (reason != s.status_reason and s.fault is not None):
        actions.append(SetStatus(status, reason))
        s = replace(s, status=status, status_reason=reason)
    return s


def _status(s: EvseState) -> tuple[EvseStatus, str | None]:
    if s.fault is not None:
        return s.fault.status, s.fault.value
    if s.phase is Phase.STARTING:
        return EvseStatus.UNKNOWN, "starting"
    if s.reservation is not None and s.session is None:
        return EvseStatus.RESERVED, None
    if s.phase is Phase.AVAILABLE:
        return EvseStatus.AVAILABLE, None
    return EvseStatus.CHARGING, s.phase.value
