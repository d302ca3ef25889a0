"""What an EVSE's state machine hears (events) and asks for (actions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from edge.evse.states import CpState, OcpiEvseStatus
from edge.model.period import ClosedPeriod, OpenPeriod


# ---- events -------------------------------------------------------------------
@dataclass(frozen=True)
class BoardRead:
    """The board answered: its CP state and, if it reports it, its relay."""

    cp: CpState
    relay_closed: bool | None = None


@dataclass(frozen=True)
class MirrorRead:
    """The contactor's mirror contact was read: whether the main contacts welded."""

    welded: bool


@dataclass(frozen=True)
class MeterRead:
    """The meter answered: import energy (Wh), power (W), highest phase current (A)."""

    energy_wh: int
    power_w: float
    current_a: float | None = None


@dataclass(frozen=True)
class TokenPresented:
    """A card was shown at this EVSE's reader."""

    uid: str


@dataclass(frozen=True)
class AuthDecision:
    """The authorizer's answer to an :class:`Authorize` action."""

    uid: str
    accepted: bool
    reason: str
    token_type: str | None = None
    contract_id: str | None = None
    group_id: str | None = None
    method: str = "WHITELIST"


@dataclass(frozen=True)
class RemoteStop:
    """Stop the active session (operator, backoffice)."""

    reason: str = "REMOTE"


@dataclass(frozen=True)
class Tick:
    """Time passes: deadlines, checkpoints and silence detection."""


Event = (
    BoardRead
    | MirrorRead
    | MeterRead
    | TokenPresented
    | AuthDecision
    | RemoteStop
    | Tick
)


# ---- actions ------------------------------------------------------------------
@dataclass(frozen=True)
class SetContactor:
    """Enable (at ``current_a``) or disable charging at the board."""

    closed: bool
    current_a: float = 0.0


@dataclass(frozen=True)
class Authorize:
    """Ask the authorizer about ``uid``; it answers with :class:`AuthDecision`."""

    uid: str


@dataclass(frozen=True)
class StartSession:
    """Store a new active session."""

    session_id: str
    start: datetime
    meter_start_wh: int
    token_uid: str | None
    token_type: str | None
    contract_id: str | None
    auth_method: str
    auth_reason: str
    group_id: str | None
    period: OpenPeriod


@dataclass(frozen=True)
class Checkpoint:
    """Record an active session's progress (and its open period's figures)."""

    session_id: str
    meter_wh: int
    period: OpenPeriod


@dataclass(frozen=True)
class NewPeriod:
    """The EV switched between charging and parking: one period ends, one begins."""

    session_id: str
    closed: ClosedPeriod
    opened: OpenPeriod
    meter_wh: int


@dataclass(frozen=True)
class StopSession:
    """Close an active session with the meter's reading."""

    session_id: str
    meter_stop_wh: int
    end: datetime
    reason: str
    final_period: ClosedPeriod


@dataclass(frozen=True)
class SetStatus:
    """The EVSE's OCPI status changed."""

    status: OcpiEvseStatus
    reason: str | None


@dataclass(frozen=True)
class Rejected:
    """A card was refused (for the reader's LED/buzzer and the log)."""

    uid: str
    reason: str


Action = (
    SetContactor
    | Authorize
    | StartSession
    | Checkpoint
    | NewPeriod
    | StopSession
    | SetStatus
    | Rejected
)
