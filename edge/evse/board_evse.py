"""The board EVSE: :class:`~edge.evse.port.EvsePort` over our own state machine.

Its board (and contactor, if any) is driven by :class:`EvseController`; this
adapter turns the machine's state into the port's frozen view, and the port's
commands into the machine's command events.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from edge.config.schema import EvseSection
from edge.evse.controller import EvseController
from edge.evse.events import RemoteStart, RemoteStop, SetCurrentLimit
from edge.evse.limits import MIN_CURRENT_A, offer_a
from edge.evse.port import (
    CONNECTOR_ID,
    Connector,
    Draw,
    EvseIdentity,
    EvseKind,
    EvseView,
    RunningSession,
)
from edge.evse.states import EvseStatus
from edge.model.commands import CommandResult, CommandToken

log = logging.getLogger(__name__)


def board_identity(section: EvseSection) -> EvseIdentity:
    """A board EVSE as the site file declares it (one connector, id "1")."""
    return EvseIdentity(
        uid=section.uid,
        evse_id=section.evse_id,
        kind=EvseKind.BOARD,
        connectors=(Connector(CONNECTOR_ID),),
        phases=section.phases,
        voltage_v=float(section.voltage_v),
        min_current_a=MIN_CURRENT_A,
        max_current_a=float(section.max_current_a),
    )


class BoardEvse:
    """One EVSE whose board and contactor our state machine drives."""

    def __init__(self, controller: EvseController, identity: EvseIdentity) -> None:
        self.controller = controller
        self._identity = identity
        self._listeners: list[Callable[[str], None]] = []
        controller.on_change = self._changed

    @property
    def identity(self) -> EvseIdentity:
        """Who the EVSE is."""
        return self._identity

    def view(self) -> EvseView:
        """The machine's state now, as the port shows it."""
        ctl = self.controller
        s, cfg = ctl.state, ctl.settings
        fresh = (
            s.meter_seen is not None
            and ctl.clock.monotonic() - s.meter_seen <= cfg.device_timeout_s
        )
        draw = None
        if fresh and s.meter_seen is not None:
            draw = Draw(s.power_w, ctl.currents_a, s.meter_seen)
        session = None
        if s.session is not None:
            a = s.session
            wh = s.meter_wh
            energy = None if wh is None else max(0, wh - a.meter_start_wh)
            session = RunningSession(
                a.id, a.token_uid, a.group_id, a.start_utc, a.meter_start_wh, energy
            )
        return EvseView(
            status=s.status or EvseStatus.UNKNOWN,
            phase=s.phase,
            fault=s.fault,
            meter_wh=s.meter_wh,
            draw=draw,
            limit_a=offer_a(s, cfg),
            offered_a=s.offered_a if s.contactor else None,
            session=session,
        )

    def on_change(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(uid)`` after every change (held writes: once on disk)."""
        self._listeners.append(callback)

    async def start(
        self,
        token: CommandToken,
        authorization_reference: str | None,
        timeout_s: float,
    ) -> CommandResult:
        """START_SESSION at this EVSE (ACCEPTED once the session started)."""
        return await self.controller.request(
            lambda rid: RemoteStart(rid, token, authorization_reference), timeout_s
        )

    async def stop(self, session_id: str | None, timeout_s: float) -> CommandResult:
        """Stop the session (ACCEPTED once it is closed and the contactor open)."""
        return await self.controller.request(
            lambda rid: RemoteStop("REMOTE", rid, session_id), timeout_s
        )

    async def set_current_limit(
        self, current_a: float | None, timeout_s: float
    ) -> CommandResult:
        """The board's offer from now on (ACCEPTED once the board was told)."""
        return await self.controller.request(
            lambda rid: SetCurrentLimit(rid, current_a), timeout_s
        )

    def _changed(self, _ctl: EvseController) -> None:
        uid = self._identity.uid
        for callback in self._listeners:
            try:
                callback(uid)
            except Exception:
                log.exception("EVSE %s: change listener failed", uid)
