"""What an EVSE's state machine hears: the events (its actions: edge.evse.actions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from edge.evse.states import CpState
from edge.model.authorization import AuthDecision
from edge.model.commands import CommandToken


@dataclass(frozen=True)
class BoardRead:
    """The board answered: its CP state and, if it reports it, its relay."""

    cp: CpState
    relay_closed: bool | None = None
    enabled: bool | None = None
    """Boards that disable themselves after a charge (EVSE-WB "disable EVSE after
    charge"): whether the board is enabled now; None for boards without it."""


@dataclass(frozen=True)
class MirrorRead:
    """The contactor's mirror contact was read: whether the main contacts welded.

    ``not_closed``: its relay module says the main contacts stayed open while
    the coil was on (after the module's settle time).
    """

    welded: bool
    not_closed: bool = False


@dataclass(frozen=True)
class MeterRead:
    """The meter answered: import energy (Wh), power (W), highest phase current (A).

    Only readings the judge believed (:mod:`edge.evse.reading_judge`) are sent.
    ``read_at`` is the site-monotonic time the energy register was read on the
    wire (None: when the event is applied); it is the meter's freshness.
    """

    energy_wh: int
    power_w: float
    current_a: float | None = None
    read_at: float | None = None


@dataclass(frozen=True)
class MeterReset:
    """The meter was replaced or reset: it reads far lower and counts on from there.

    The open session is closed on the last believed reading (its energy is what
    the old meter counted); ``baseline_wh`` is the new meter's reading.
    """

    last_good_wh: int
    baseline_wh: int
    read_at: float
    power_w: float = 0.0
    current_a: float | None = None


@dataclass(frozen=True)
class TokenPresented:
    """A card was shown at this EVSE's reader."""

    uid: str


@dataclass(frozen=True)
class RemoteStop:
    """Stop the active session (operator, backoffice).

    With ``request`` (a command's id), the machine answers with
    :class:`~edge.evse.actions.CommandDone` once the session is closed;
    ``session_id`` names the session the backoffice means (None: whichever is
    active).
    """

    reason: str = "REMOTE"
    request: str | None = None
    session_id: str | None = None


@dataclass(frozen=True)
class RemoteStart:
    """START_SESSION: start for this token, already authorised by the eMSP.

    Like an accepted card (auth method COMMAND): it waits ``auth_window_s`` for
    the EV to be plugged in. Answered with :class:`~edge.evse.actions.CommandDone`.
    """

    request: str
    token: CommandToken
    authorization_reference: str | None = None


@dataclass(frozen=True)
class Reserve:
    """RESERVE_NOW: hold the EVSE for ``token`` (or its group) until ``expiry``."""

    request: str
    reservation_id: str
    token: CommandToken
    expiry: datetime
    authorization_reference: str | None = None


@dataclass(frozen=True)
class CancelReservation:
    """CANCEL_RESERVATION (``request`` None: the site drops it silently)."""

    reservation_id: str
    request: str | None = None


@dataclass(frozen=True)
class CancelRequest:
    """A command's caller gave up (its timeout): drop what it still waits for."""

    request: str


@dataclass(frozen=True)
class SetCurrentLimit:
    """Offer at most ``current_a`` per phase (None: the EVSE's ``max_current_a``).

    Honoured at once while charging (the board's offer changes) and by every
    later start; answered with :class:`~edge.evse.actions.CommandDone` after the
    board was told.
    Held in memory only: a restart returns to ``max_current_a``.
    """

    request: str
    current_a: float | None


@dataclass(frozen=True)
class Tick:
    """Time passes: deadlines, checkpoints and silence detection."""


Event = (
    BoardRead
    | MirrorRead
    | MeterRead
    | MeterReset
    | TokenPresented
    | AuthDecision
    | RemoteStop
    | RemoteStart
    | Reserve
    | CancelReservation
    | CancelRequest
    | SetCurrentLimit
    | Tick
)
