"""Remote commands as the site executes them: the port between uplink and EVSEs.

The OCPI Commands receiver (``edge/uplink/ocpi/serve/commands_receiver.py``)
validates what the eMSP posts, answers it synchronously, and then awaits one of
these methods for the asynchronous result that it POSTs to the command's
``response_url``. The site (``edge/evse/site_commands.py``) implements
:class:`SiteCommands` by routing each command to the EVSE it names. Neither side
imports the other: both import this module.

The token in START_SESSION and RESERVE_NOW was already authorised by the eMSP
(OCPI 2.2.1 *Commands*): the site must not validate it again, and records it on
the session it starts (auth method ``COMMAND``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol


class CommandOutcome(StrEnum):
    """How a command ended at the EVSE (OCPI ``CommandResultType``)."""

    ACCEPTED = "ACCEPTED"
    CANCELED_RESERVATION = "CANCELED_RESERVATION"
    EVSE_OCCUPIED = "EVSE_OCCUPIED"
    EVSE_INOPERATIVE = "EVSE_INOPERATIVE"
    FAILED = "FAILED"
    NOT_SUPPORTED = "NOT_SUPPORTED"
    REJECTED = "REJECTED"
    TIMEOUT = "TIMEOUT"
    UNKNOWN_RESERVATION = "UNKNOWN_RESERVATION"


@dataclass(frozen=True)
class CommandToken:
    """The eMSP's token carried by a command (the OCPI Token fields a session needs)."""

    uid: str
    type: str
    contract_id: str
    country_code: str
    party_id: str
    group_id: str | None = None
    visual_number: str | None = None
    issuer: str | None = None


@dataclass(frozen=True)
class CommandResult:
    """The outcome and, for the operator or the driver's app, why."""

    outcome: CommandOutcome
    message: str = ""


class SiteCommands(Protocol):
    """What the site can do on a backoffice's request.

    The sync checks (``has_evse``, ``session_evse``) answer at once, for the
    synchronous ``CommandResponse``; the ``async`` methods return when the EVSE
    has acted (or refused), for the asynchronous ``CommandResult``. Each must
    return within ``timeout_s`` with TIMEOUT rather than hang.
    """

    def has_evse(self, evse_uid: str) -> bool:
        """Whether this site has an EVSE with this uid."""
        ...

    def session_evse(self, session_id: str) -> str | None:
        """The EVSE uid of this *active* session, or None if there is none."""
        ...

    async def start_session(
        self,
        evse_uid: str,
        token: CommandToken,
        authorization_reference: str | None,
        timeout_s: float,
    ) -> CommandResult:
        """Start charging for ``token`` (ACCEPTED once the session started)."""
        ...

    async def stop_session(self, session_id: str, timeout_s: float) -> CommandResult:
        """Stop this session (ACCEPTED once the contactor opened)."""
        ...

    async def unlock_connector(
        self, evse_uid: str, connector_id: str, timeout_s: float
    ) -> CommandResult:
        """Release the cable lock (NOT_SUPPORTED where the board has none)."""
        ...

    async def reserve_now(
        self,
        reservation_id: str,
        evse_uid: str | None,
        token: CommandToken,
        expiry: datetime,
        authorization_reference: str | None,
        timeout_s: float,
    ) -> CommandResult:
        """Hold an EVSE (``None``: any free one) for ``token`` until ``expiry``."""
        ...

    async def cancel_reservation(
        self, reservation_id: str, timeout_s: float
    ) -> CommandResult:
        """Drop a reservation (UNKNOWN_RESERVATION if there is none)."""
        ...

    def on_reservation_canceled(self, callback: Callable[[str, str], None]) -> None:
        """Register ``callback(reservation_id, reason)`` for dropped reservations.

        Called when the *site* drops a held reservation before its expiry (EVSE
        out of order, ...), so that the receiver can POST CANCELED_RESERVATION to
        that RESERVE_NOW's response_url. Expiry and CANCEL_RESERVATION do not
        call it.
        """
        ...
