"""What an EVSE's state machine asks for: the actions, one tagged union.

The controller runs them (:mod:`edge.evse.controller`, matching on the type):
contactor commands in their safe order, store writes as one transaction per step
(:mod:`edge.evse.persistence`), authorization requests and command answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from edge.evse.states import EvseStatus
from edge.model.commands import CommandOutcome, CommandToken
from edge.model.period import ClosedPeriod, OpenPeriod


@dataclass(frozen=True)
class SetContactor:
    """Enable (at ``current_a``) or disable charging at the board."""

    closed: bool
    current_a: float = 0.0


@dataclass(frozen=True)
class Authorize:
    """Ask the authorizer about ``uid``.

    It answers with :class:`~edge.model.authorization.AuthDecision`.
    """

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
    authorization_reference: str | None = None
    token_country_code: str | None = None
    token_party_id: str | None = None


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

    status: EvseStatus
    reason: str | None


@dataclass(frozen=True)
class Rejected:
    """A card was refused (for the reader's LED/buzzer and the log)."""

    uid: str
    reason: str


@dataclass(frozen=True)
class EnableConfirmed:
    """The board showed itself enabled during this session.

    Stored: a board found disabled after a restart then means that the EV left
    while the controller was down.
    """

    session_id: str


@dataclass(frozen=True)
class HoldReservation:
    """Store the reservation the EVSE now holds (replacing one with its id)."""

    reservation_id: str
    token: CommandToken
    expiry: datetime
    authorization_reference: str | None


@dataclass(frozen=True)
class DropReservation:
    """Delete a reservation; ``notify``: the site dropped it before its expiry."""

    reservation_id: str
    reason: str
    notify: bool = False


@dataclass(frozen=True)
class CommandDone:
    """A remote command's outcome and why."""

    request: str
    outcome: CommandOutcome
    message: str = ""


Action = (
    SetContactor
    | Authorize
    | StartSession
    | Checkpoint
    | NewPeriod
    | StopSession
    | SetStatus
    | Rejected
    | EnableConfirmed
    | HoldReservation
    | DropReservation
    | CommandDone
)
