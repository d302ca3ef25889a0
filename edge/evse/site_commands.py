"""The site's remote commands: the SiteCommands port routed to the EVSEs.

This implements :class:`~edge.model.commands.SiteCommands`. Start and stop go to
the EVSE's port (:class:`~edge.evse.port.EvsePort`), whoever drives it;
reservations to the state machines that hold them (the board EVSEs, through
:meth:`EvseController.request`). A result is what the EVSE reports when the
outcome happened (session started or closed, reservation stored). Time limits
are in site seconds, like everything the :class:`~edge.model.clock.Clock`
measures.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from drivers.errors import DriverError
from edge.evse.controller import EvseController
from edge.evse.events import CancelReservation, Reserve
from edge.evse.port import EvsePort
from edge.evse.states import EvseStatus
from edge.model.clock import Clock
from edge.model.commands import CommandOutcome, CommandResult, CommandToken

log = logging.getLogger(__name__)

Unlock = Callable[[], Awaitable[None]]
"""Release one EVSE's cable lock (raises DriverError if the board did not)."""
AskUnlock = Callable[[float], Awaitable[CommandResult]]
"""Ask an EVSE that unlocks itself (an OCPP charger) to, within ``timeout_s``."""


class EvseCommands:
    """What the backoffice may ask of this site's EVSEs."""

    def __init__(
        self,
        evses: Mapping[str, EvsePort],
        controllers: Mapping[str, EvseController],
        clock: Clock,
        unlocks: Mapping[str, Unlock] | None = None,
        asked_unlocks: Mapping[str, AskUnlock] | None = None,
    ) -> None:
        """``evses``: every EVSE; ``controllers``: those whose machine is ours.

        ``unlocks``: the boards' cable locks; ``asked_unlocks``: the EVSEs that
        release their cable on request (an OCPP charger's UnlockConnector).
        """
        self._evses = dict(evses)
        self._controllers = dict(controllers)
        self._clock = clock
        self._unlocks = dict(unlocks or {})
        self._asked_unlocks = dict(asked_unlocks or {})
        self._callbacks: list[Callable[[str, str], None]] = []
        for ctl in self._controllers.values():
            ctl.on_reservation_dropped = self._dropped

    # ---- sync checks --------------------------------------------------------------
    def has_evse(self, evse_uid: str) -> bool:
        """Whether this site has an EVSE with this uid."""
        return evse_uid in self._evses

    def session_evse(self, session_id: str) -> str | None:
        """The EVSE uid of this active session, or None."""
        for uid, evse in self._evses.items():
            session = evse.view().session
            if session is not None and session.id == session_id:
                return uid
        return None

    def reservation_evse(self, reservation_id: str) -> str | None:
        """The EVSE that holds this reservation, or None."""
        for uid, ctl in self._controllers.items():
            held = ctl.state.reservation
            if held is not None and held.id == reservation_id:
                return uid
        return None

    # ---- commands -----------------------------------------------------------------
    async def start_session(
        self,
        evse_uid: str,
        token: CommandToken,
        authorization_reference: str | None,
        timeout_s: float,
    ) -> CommandResult:
        """Start charging for ``token`` (ACCEPTED once the session started)."""
        evse = self._evses.get(evse_uid)
        if evse is None:
            return CommandResult(CommandOutcome.REJECTED, f"no EVSE {evse_uid}")
        return await evse.start(token, authorization_reference, timeout_s)

    async def stop_session(self, session_id: str, timeout_s: float) -> CommandResult:
        """Stop this session (ACCEPTED once it is closed, contactor open)."""
        uid = self.session_evse(session_id)
        if uid is None:
            return CommandResult(CommandOutcome.FAILED, "session not active")
        return await self._evses[uid].stop(session_id, timeout_s)

    async def unlock_connector(
        self, evse_uid: str, connector_id: str, timeout_s: float
    ) -> CommandResult:
        """Release the cable lock: NOT_SUPPORTED unless the board or charger has one."""
        if evse_uid not in self._evses:
            return CommandResult(CommandOutcome.REJECTED, f"no EVSE {evse_uid}")
        asked = self._asked_unlocks.get(evse_uid)
        if asked is not None:
            return await asked(timeout_s)
        unlock = self._unlocks.get(evse_uid)
        if unlock is None:
            return CommandResult(
                CommandOutcome.NOT_SUPPORTED, "this EVSE's board has no cable lock"
            )
        try:
            async with asyncio.timeout(self._clock.to_wall(timeout_s)):
                await unlock()
        except TimeoutError:
            return CommandResult(CommandOutcome.TIMEOUT, "the board did not answer")
        except DriverError as exc:
            return CommandResult(CommandOutcome.FAILED, str(exc))
        return CommandResult(CommandOutcome.ACCEPTED)

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
        if evse_uid is not None and evse_uid not in self._evses:
            return CommandResult(CommandOutcome.REJECTED, f"no EVSE {evse_uid}")
        if evse_uid is not None and evse_uid not in self._controllers:
            why = "this EVSE takes no reservations from the site"
            return CommandResult(CommandOutcome.NOT_SUPPORTED, why)
        deadline = self._clock.monotonic() + timeout_s
        holder = self.reservation_evse(reservation_id)
        if evse_uid is None:
            # Keep the EVSE that holds it already; else the free ones in order.
            candidates = [holder] if holder is not None else self._free()
        else:
            candidates = [evse_uid]
        if holder is not None and holder not in candidates[:1]:
            # The same reservation id moves to another EVSE: release it here first.
            await self._controllers[holder].request(
                lambda rid: CancelReservation(reservation_id, rid),
                self._left(deadline),
            )
        result = CommandResult(CommandOutcome.EVSE_OCCUPIED, "no free EVSE")
        for uid in candidates:
            result = await self._controllers[uid].request(
                lambda rid: Reserve(
                    rid, reservation_id, token, expiry, authorization_reference
                ),
                self._left(deadline),
            )
            if result.outcome is not CommandOutcome.EVSE_OCCUPIED:
                break
        return result

    async def cancel_reservation(
        self, reservation_id: str, timeout_s: float
    ) -> CommandResult:
        """Drop a reservation (UNKNOWN_RESERVATION if there is none)."""
        uid = self.reservation_evse(reservation_id)
        if uid is None:
            return CommandResult(CommandOutcome.UNKNOWN_RESERVATION)
        return await self._controllers[uid].request(
            lambda rid: CancelReservation(reservation_id, rid), timeout_s
        )

    def on_reservation_canceled(self, callback: Callable[[str, str], None]) -> None:
        """Register ``callback(reservation_id, reason)`` for dropped reservations."""
        self._callbacks.append(callback)

    # ---- helpers ------------------------------------------------------------------
    def _free(self) -> list[str]:
        return [
            uid
            for uid, ctl in sorted(self._controllers.items())
            if ctl.state.reservation is None
            and ctl.state.status is EvseStatus.AVAILABLE
        ]

    def _left(self, deadline: float) -> float:
        return max(0.0, deadline - self._clock.monotonic())

    def _dropped(self, reservation_id: str, reason: str) -> None:
        for callback in self._callbacks:
            try:
                callback(reservation_id, reason)
            except Exception:
                log.exception("reservation %s: callback failed", reservation_id)
