"""Remote commands and reservations in the state machine: pure, like it.

Each command event carries a request id; the machine answers it with a
:class:`CommandDone` action in the step where the outcome became true (the
session started or closed, the reservation was stored), never before.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from edge.evse.actions import Action, CommandDone, DropReservation, HoldReservation
from edge.evse.events import (
    CancelRequest,
    CancelReservation,
    RemoteStart,
    RemoteStop,
    Reserve,
)
from edge.evse.machine_state import (
    EvseSettings,
    EvseState,
    PendingAuth,
    Reservation,
    request_stop,
)
from edge.model.authorization import AuthDecision
from edge.model.commands import CommandOutcome

COMMAND = "COMMAND"


def drop_pending(
    s: EvseState, actions: list[Action], outcome: CommandOutcome, message: str
) -> EvseState:
    """Forget the pending card or command; a waiting command learns why."""
    p = s.pending
    if p is not None and p.request is not None:
        actions.append(CommandDone(p.request, outcome, message))
    return replace(s, pending=None)


def remote_start(
    s: EvseState, e: RemoteStart, now: float, cfg: EvseSettings, actions: list[Action]
) -> EvseState:
    """START_SESSION: an accepted token that need not be authorized again."""
    t = e.token
    refusal: tuple[CommandOutcome, str] | None = None
    if s.fault is not None:
        refusal = (CommandOutcome.EVSE_INOPERATIVE, f"EVSE fault {s.fault.value}")
    elif s.session is not None:
        refusal = (CommandOutcome.EVSE_OCCUPIED, "a session is active")
    elif s.reservation is not None and not s.reservation.admits(t.uid, t.group_id):
        refusal = (CommandOutcome.EVSE_OCCUPIED, "reserved for another token")
    if refusal is not None:
        actions.append(CommandDone(e.request, *refusal))
        return s
    s = drop_pending(s, actions, CommandOutcome.FAILED, "superseded by a remote start")
    uid = t.uid.upper()
    decision = AuthDecision(
        uid,
        True,
        "remote start (authorised by the eMSP)",
        t.type,
        t.contract_id,
        t.group_id,
        COMMAND,
        e.authorization_reference,
        t.country_code,
        t.party_id,
    )
    pending = PendingAuth(uid, now + cfg.auth_window_s, "start", decision, e.request)
    return replace(s, pending=pending)


def reserve(
    s: EvseState, e: Reserve, utc: datetime, actions: list[Action]
) -> EvseState:
    """RESERVE_NOW: hold a free EVSE (the same reservation id replaces)."""
    held = s.reservation
    refusal: tuple[CommandOutcome, str] | None = None
    if s.fault is not None:
        refusal = (CommandOutcome.EVSE_INOPERATIVE, f"EVSE fault {s.fault.value}")
    elif s.cp is None:
        refusal = (CommandOutcome.FAILED, "EVSE state not known yet")
    elif held is not None and held.id != e.reservation_id:
        refusal = (CommandOutcome.EVSE_OCCUPIED, "already reserved")
    elif s.session is not None or s.cp.connected:
        refusal = (CommandOutcome.EVSE_OCCUPIED, "an EV is plugged in")
    elif e.expiry <= utc:
        refusal = (CommandOutcome.REJECTED, "expiry_date is in the past")
    if refusal is not None:
        actions.append(CommandDone(e.request, *refusal))
        return s
    r = Reservation(e.reservation_id, e.token, e.expiry, e.authorization_reference)
    p = s.pending
    if p is not None and p.purpose == "start" and not _admitted(r, p):
        # An accepted card or remote start of another token waits for its EV:
        # the reservation takes the EVSE from it.
        s = drop_pending(s, actions, CommandOutcome.FAILED, "EVSE reserved")
    actions.append(HoldReservation(r.id, r.token, r.expiry, r.authorization_reference))
    actions.append(CommandDone(e.request, CommandOutcome.ACCEPTED))
    return replace(s, reservation=r)


def _admitted(r: Reservation, p: PendingAuth) -> bool:
    group = p.decision.group_id if p.decision is not None else None
    return p.decision is not None and r.admits(p.uid, group)


def cancel_reservation(
    s: EvseState, e: CancelReservation, actions: list[Action]
) -> EvseState:
    """CANCEL_RESERVATION (or the site's own cancel, without a request)."""
    held = s.reservation
    if held is None or held.id != e.reservation_id:
        if e.request is not None:
            actions.append(CommandDone(e.request, CommandOutcome.UNKNOWN_RESERVATION))
        return s
    actions.append(DropReservation(held.id, "canceled"))
    if e.request is not None:
        actions.append(CommandDone(e.request, CommandOutcome.ACCEPTED))
    return replace(s, reservation=None)


def cancel_request(s: EvseState, e: CancelRequest) -> EvseState:
    """The caller timed out: a remote start no longer waits for a plug-in."""
    p = s.pending
    if p is not None and p.request == e.request:
        s = replace(s, pending=None)
    if e.request in s.stop_requests:
        # The stop itself goes on: it was asked for; only the answer is dropped.
        rest = tuple(r for r in s.stop_requests if r != e.request)
        s = replace(s, stop_requests=rest)
    return s


def expire_reservation(s: EvseState, utc: datetime, actions: list[Action]) -> EvseState:
    """Drop a reservation at its expiry (site clock)."""
    held = s.reservation
    if held is None or utc < held.expiry:
        return s
    actions.append(DropReservation(held.id, "expired"))
    return replace(s, reservation=None)


def drop_for_fault(s: EvseState, reason: str, actions: list[Action]) -> EvseState:
    """The site cannot keep its promise: drop the reservation and say so."""
    held = s.reservation
    if held is None:
        return s
    actions.append(DropReservation(held.id, reason, notify=True))
    return replace(s, reservation=None)


def remote_stop(
    s: EvseState, e: RemoteStop, now: float, actions: list[Action]
) -> EvseState:
    """STOP_SESSION (or an operator's stop): the session closes as for a card."""
    session = s.session
    if session is None or (e.session_id is not None and e.session_id != session.id):
        if e.request is not None:
            actions.append(
                CommandDone(e.request, CommandOutcome.FAILED, "session not active")
            )
        return s
    s = request_stop(s, e.reason, now)
    if e.request is not None:
        s = replace(s, stop_requests=(*s.stop_requests, e.request))
    return s
