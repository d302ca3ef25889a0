"""What the per-EVSE state machine knows: its settings and its (frozen) state."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from edge.evse.states import CpState, EvseStatus, FaultKind, Phase
from edge.model.authorization import AuthDecision
from edge.model.commands import CommandToken
from edge.model.period import OpenPeriod


@dataclass(frozen=True)
class EvseSettings:
    """Per-EVSE limits and timings the machine needs."""

    evse_uid: str
    max_current_a: float = 16.0
    free_vend: bool = False
    device_timeout_s: float = 10.0
    checkpoint_interval_s: float = 900.0
    """Checkpoints fall on multiples of this many seconds of site time (UTC), so
    that every EVSE of the site checkpoints at the same instant."""
    auth_window_s: float = 60.0
    """How long an accepted card (or a remote start) waits for the EV to be
    plugged in."""
    idle_power_w: float = 100.0
    """Below this power an EV that is plugged in counts as parking (idle)."""
    period_hold_s: float = 60.0
    """A switch between charging and parking must hold this long to cut a period."""
    stop_guard_s: float = 10.0
    """A card shown again this soon after its session started does not stop it
    (a held card, a double tap)."""
    board_latch: bool = False
    """The board disables itself after an EV leaves (EVSE-WB "disable EVSE after
    charge") and reports whether it is enabled (``BoardRead.enabled``)."""
    phases: int = 3
    voltage_v: float = 230.0
    """With ``max_current_a``: the most this EVSE can deliver (the meter judge's
    rate limit, :mod:`edge.evse.reading_judge`)."""
    energy_step_wh: float = 10.0
    """The meter's energy register step, in Wh (an integer register's scale)."""
    energy_relative_step: float = 0.0
    """A float energy register's step as a fraction of its value (float32: 2**-23)."""
    relay_settle_s: float = 10.0
    """How long a board's relay may disagree with the command before it is a
    fault: an EV has 5 s to follow the pilot (IEC 61851-1), plus poll cycles."""
    relay_retry_s: float = 60.0
    """A relay that did not close is tried again after this long."""

    @property
    def max_power_w(self) -> float:
        """Phases x maximum current x voltage."""
        return self.phases * self.max_current_a * self.voltage_v


@dataclass(frozen=True)
class RelayMismatch:
    """The board's relay has disagreed with the command since ``since``."""

    kind: FaultKind
    """RELAY_WELDED (closed, commanded open) or RELAY_NOT_CLOSED."""
    since: float


@dataclass(frozen=True)
class ActiveSession:
    """The session the EVSE is running."""

    id: str
    meter_start_wh: int
    token_uid: str | None
    group_id: str | None
    next_checkpoint: float
    """Site UTC (epoch seconds) of the next checkpoint; 0: the first boundary
    after the machine next runs (a resumed session)."""
    started: float = 0.0
    """Monotonic site time the session started (or was resumed)."""
    period: OpenPeriod | None = None
    checkpoint_wh: int | None = None
    """Meter reading at the last checkpoint."""
    enable_confirmed: bool = False
    """The board showed itself enabled while this session held it (stored)."""
    start_utc: datetime | None = None
    """When the session started (site UTC), as stored."""


@dataclass(frozen=True)
class PendingAuth:
    """A card being authorized, or accepted and waiting for a plug-in."""

    uid: str
    expires: float
    purpose: str  # "start" or "stop"
    decision: AuthDecision | None = None
    request: str | None = None
    """The remote start command waiting for this start, if any."""


@dataclass(frozen=True)
class Reservation:
    """A RESERVE_NOW the EVSE holds."""

    id: str
    token: CommandToken
    expiry: datetime
    authorization_reference: str | None = None

    def admits(self, uid: str, group_id: str | None) -> bool:
        """Whether this token (or one of the same group) may start here."""
        if uid.upper() == self.token.uid.upper():
            return True
        mine = self.token.group_id
        return mine is not None and group_id is not None and mine == group_id


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
    board_enabled: bool | None = None
    disabled_before_cp: bool = False
    """The board's disable (a latching board's) was known before its latest CP
    state was read: the previous board poll said so too. Only then does an EV
    connected to the disabled board show a new visit. One poll reads the CP state
    and the enable in separate frames (CP first): an EV that leaves between them
    shows as still connected to a board its leaving just disabled."""
    session: ActiveSession | None = None
    pending: PendingAuth | None = None
    stopping: str | None = None
    stop_after: float | None = None
    stop_requests: tuple[str, ...] = ()
    """Remote stop commands waiting for the session to close."""
    replug: bool = False
    """The stopping session's EV was replaced: the EV now plugged in is new."""
    reservation: Reservation | None = None
    fault: FaultKind | None = None
    contactor: bool | None = None
    contactor_at: float | None = None
    """Monotonic site time the contactor was last commanded (closed or open)."""
    status: EvseStatus | None = None
    status_reason: str | None = None
    started_count: int = 0
    relay_mismatch: RelayMismatch | None = None
    """The board's reported relay against the command (boards that report it)."""
    relay_retry_at: float | None = None
    """A relay that did not close holds the EVSE faulted until then."""
    contactor_retry_at: float | None = None
    """A contactor whose mirror contact said it did not close holds the EVSE
    faulted until then (CONTACTOR_NOT_CLOSED)."""
    current_limit_a: float | None = None
    """A command's limit below ``max_current_a`` (None: no limit but that)."""
    offered_a: float | None = None
    """The current the board was last told to offer with the contactor closed."""


def request_stop(s: EvseState, reason: str, now: float) -> EvseState:
    """Decide to stop the active session (a no-op with none, or one stopping).

    The session closes on the first meter reading after ``now``.
    """
    if s.session is None or s.stopping is not None:
        return s
    return replace(s, stopping=reason, stop_after=now)
