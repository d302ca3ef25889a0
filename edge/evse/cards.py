"""Cards at the EVSE's reader, and the authorization's answers (pure).

A card starts a session (once accepted and the EV is plugged in), stops its own
session (not within ``stop_guard_s`` of the start), or stops another card's
session of the same group; a refused card is :class:`Rejected`.
"""

from __future__ import annotations

from dataclasses import replace

from edge.evse import remote_commands as remote
from edge.evse.actions import Action, Authorize, Rejected
from edge.evse.machine_state import EvseSettings, EvseState, PendingAuth, request_stop
from edge.evse.states import EvseStatus
from edge.model.authorization import AuthDecision
from edge.model.commands import CommandOutcome


def token(
    s: EvseState, uid: str, now: float, cfg: EvseSettings, actions: list[Action]
) -> EvseState:
    """A card was shown at this EVSE's reader."""
    uid = uid.upper()
    if s.session is not None and s.stopping is None:
        if s.session.token_uid is not None and uid == s.session.token_uid.upper():
            if now - s.session.started < cfg.stop_guard_s:
                return s
            return request_stop(s, "LOCAL", now)
        # Another card may stop the session if it belongs to the same group.
        actions.append(Authorize(uid))
        return replace(s, pending=PendingAuth(uid, now + cfg.auth_window_s, "stop"))
    if s.session is not None:
        return s  # already stopping
    if s.fault is not None and s.fault.status is EvseStatus.OUTOFORDER:
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


def decision(
    s: EvseState, d: AuthDecision, now: float, actions: list[Action]
) -> EvseState:
    """The authorization's answer about the pending card."""
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
            return replace(request_stop(s, "LOCAL_GROUP", now), pending=None)
        actions.append(Rejected(d.uid, "EVSE is in use by another card"))
        return replace(s, pending=None)
    if not d.accepted:
        actions.append(Rejected(d.uid, d.reason))
        return replace(s, pending=None)
    if s.reservation is not None and not s.reservation.admits(d.uid, d.group_id):
        actions.append(Rejected(d.uid, "EVSE reserved for another token"))
        return replace(s, pending=None)
    return replace(s, pending=replace(p, decision=d))
