"""The EVSE port: what the rest of the site sees of one EVSE, whoever drives it.

The session store and the outbox (through the EVSE's own writes), authorization,
OCPI, MQTT and load management see an EVSE as :class:`EvsePort`: who it is
(:class:`EvseIdentity`), what it shows now (:class:`EvseView`, a frozen
snapshot, cheap to take on every change), the current it is asked to hold,
start and stop, and the session it runs. Two kinds implement it:

* a **board** EVSE (:class:`edge.evse.board_evse.BoardEvse`): our state machine
  drives its board and contactor over Modbus; sessions are ours, a limit is the
  board's setpoint and always taken (within 6 A .. ``max_current_a``);
* an **OCPP** charger (issue 13) owns its contactor and its transactions: its
  sessions arrive from the charger, ``start``/``stop`` become
  RequestStart/RemoteStop, and a limit is a charging profile the charger may
  refuse (``set_current_limit`` then answers REJECTED and ``limit_a`` keeps
  the last one it accepted).

Every method returns; none raises for a refusal: a :class:`CommandResult` says
what happened and why, within ``timeout_s`` site seconds (TIMEOUT otherwise).
Currents are per phase in A, power in W, energy in Wh, times site-monotonic
seconds unless named ``_utc``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from edge.evse.states import EvseStatus, FaultKind, Phase
from edge.model.commands import CommandResult, CommandToken
from edge.ocpi.enums import ConnectorFormat, ConnectorType

CONNECTOR_ID = "1"
"""The id of a board EVSE's one connector."""


class EvseKind(StrEnum):
    """Who owns the EVSE's contactor and its sessions."""

    BOARD = "board"
    """We do: our state machine drives the board (and contactor) it names."""
    OCPP = "ocpp"
    """The charger does; we see what it reports and ask it by OCPP."""


@dataclass(frozen=True)
class Connector:
    """One connector of an EVSE (OCPI terms)."""

    id: str
    standard: ConnectorType = ConnectorType.IEC_62196_T2
    format: ConnectorFormat = ConnectorFormat.SOCKET


@dataclass(frozen=True)
class EvseIdentity:
    """An EVSE as the site declares it: what does not change while running."""

    uid: str
    """OCPI evse uid, unique on this site."""
    evse_id: str | None
    """eMI3 EVSE id, if declared."""
    kind: EvseKind
    connectors: tuple[Connector, ...]
    phases: int
    """Phases wired to the EVSE (1 or 3); L1 is the first."""
    voltage_v: float
    """Line-to-neutral voltage."""
    min_current_a: float
    """The lowest current it can offer while charging (6 A: IEC 61851-1)."""
    max_current_a: float
    """The most it may ever offer (the site file's ``max_current_a``)."""


@dataclass(frozen=True)
class Draw:
    """What the EVSE draws, as its meter last read it (believed readings only)."""

    power_w: float
    currents_a: tuple[float | None, float | None, float | None]
    """Per phase L1, L2, L3 as the EVSE is wired; None where not measured."""
    read_at: float
    """Site-monotonic time the reading was taken on the wire."""


@dataclass(frozen=True)
class RunningSession:
    """The session an EVSE runs now."""

    id: str
    token_uid: str | None
    """The token that started it (None: free vend); redact before showing."""
    group_id: str | None
    start_utc: datetime | None
    """When it started (None if not known, e.g. a session resumed mid-way)."""
    meter_start_wh: int
    energy_wh: int | None
    """Energy so far (None until the meter has answered)."""


@dataclass(frozen=True)
class EvseView:
    """What one EVSE shows now."""

    status: EvseStatus
    phase: Phase
    fault: FaultKind | None
    meter_wh: int | None
    """The meter's import register (None before its first believed reading)."""
    draw: Draw | None
    """None while the meter is silent (beyond the device timeout) or unread."""
    limit_a: float
    """The current it is asked to hold: the limit set, or ``max_current_a``."""
    offered_a: float | None
    """What it offers the EV now (None: not offering, contactor open)."""
    session: RunningSession | None


class EvsePort(Protocol):
    """One EVSE of the site, as everything outside ``edge/evse`` sees it."""

    @property
    def identity(self) -> EvseIdentity:
        """Who the EVSE is (fixed while running)."""
        ...

    def view(self) -> EvseView:
        """What it shows now (a frozen snapshot; never blocks)."""
        ...

    def on_change(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(evse uid)`` after every change of what it shows.

        A change that is written to the store is called back once it is on
        disk, so that a reader of the store finds it.
        """
        ...

    async def start(
        self,
        token: CommandToken,
        authorization_reference: str | None,
        timeout_s: float,
    ) -> CommandResult:
        """Start charging for ``token``, authorised already (ACCEPTED once started)."""
        ...

    async def stop(self, session_id: str | None, timeout_s: float) -> CommandResult:
        """Stop the session (None: whichever runs); ACCEPTED once it is closed."""
        ...

    async def set_current_limit(
        self, current_a: float | None, timeout_s: float
    ) -> CommandResult:
        """Hold at most ``current_a`` per phase (None: ``max_current_a``).

        0 pauses the session: no offer (a board's contactor opens, a charger's
        profile is 0 A) and the session stays open until a limit of
        ``min_current_a`` or more resumes it (load management's pause).
        ACCEPTED once the EVSE took it (the board was told; the charger accepted
        the profile); REJECTED outside 0 and ``min_current_a`` ..
        ``max_current_a`` or when the charger refused it. Not stored: a restart
        returns to ``max_current_a``.
        """
        ...
