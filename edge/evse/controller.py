"""One task per EVSE: feed events to the pure state machine, run its actions.

Readings arrive from the drivers as callbacks and are queued; the task applies
them in order, then executes the actions: durable store writes first (a session
is on disk before its contactor closes), then hardware writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace

from drivers.errors import DriverError
from drivers.ports import ContactorPort, EvseBoardPort
from edge.auth.authorizer import Authorizer
from edge.evse.events import (
    Action,
    Authorize,
    BoardRead,
    Checkpoint,
    Event,
    MeterRead,
    MirrorRead,
    NewPeriod,
    Rejected,
    SetContactor,
    SetStatus,
    StartSession,
    StopSession,
    Tick,
    TokenPresented,
)
from edge.evse.state_machine import (
    ActiveSession,
    EvseSettings,
    EvseState,
    initial_state,
    step,
)
from edge.evse.states import CpState
from edge.model.clock import Clock
from edge.model.events import DeviceReading, DeviceSilent
from edge.model.measurement import Measurement
from edge.model.session import Session, SessionStatus
from edge.store import sessions as repo
from edge.store.db import Database, StoreHandle, transaction

log = logging.getLogger(__name__)
TICK_S = 1.0


class EvseController:
    """Owns one EVSE's state machine, and through it the contactor."""

    def __init__(
        self,
        settings: EvseSettings,
        board: EvseBoardPort,
        authorizer: Authorizer,
        db: Database,
        clock: Clock,
        contactor: ContactorPort | None = None,
    ) -> None:
        self.settings = settings
        self.board = board
        self.contactor = contactor
        self.authorizer = authorizer
        self.db = db
        self.clock = clock
        self.inbox: asyncio.Queue[Event] = asyncio.Queue()
        self.state: EvseState = initial_state(clock.monotonic())
        self.power_w = 0.0
        self.on_change: Callable[[EvseController], None] | None = None
        self._resend_contactor = False

    # ---- inputs from drivers (callbacks, never block) ---------------------------
    def on_board(self, item: DeviceReading | DeviceSilent) -> None:
        """A board poll finished."""
        if isinstance(item, DeviceSilent):
            return  # silence is detected by time in the state machine
        cp = item.values.get(Measurement.CP_STATE)
        if not isinstance(cp, str):
            return
        relay = item.number(Measurement.RELAY_CLOSED)
        self.inbox.put_nowait(
            BoardRead(CpState(cp), None if relay is None else relay >= 0.5)
        )

    def on_relay(self, item: DeviceReading | DeviceSilent) -> None:
        """The relay module was polled: check the contactor's mirror contact."""
        if isinstance(item, DeviceSilent) or self.contactor is None:
            return
        welded = self.contactor.welded()
        if welded is not None and welded != self.state.welded:
            self.inbox.put_nowait(MirrorRead(welded))

    def on_meter(self, item: DeviceReading | DeviceSilent) -> None:
        """A meter poll finished."""
        if isinstance(item, DeviceSilent):
            return
        energy = item.number(Measurement.ENERGY_IMPORT)
        if energy is None:
            return
        self.power_w = item.number(Measurement.POWER) or 0.0
        currents = [
            c
            for m in (
                Measurement.CURRENT_L1,
                Measurement.CURRENT_L2,
                Measurement.CURRENT_L3,
            )
            if (c := item.number(m)) is not None
        ]
        self.inbox.put_nowait(
            MeterRead(round(energy), self.power_w, max(currents) if currents else None)
        )

    def on_token(self, uid: str) -> None:
        """A card was read at this EVSE."""
        self.inbox.put_nowait(TokenPresented(uid))

    # ---- the loop -----------------------------------------------------------------
    async def resume(self) -> None:
        """Take over the session the store still has active for this EVSE."""
        evse_uid = self.settings.evse_uid
        s = await self.db.run(lambda db: repo.active_session_for(db, evse_uid))
        if s is None:
            return
        period = await self.db.run(lambda db: repo.open_period(db, s.id))
        log.info("EVSE %s resumes session %s", evse_uid, s.id)
        now = self.clock.monotonic()
        self.state = initial_state(
            now,
            ActiveSession(
                s.id, s.meter_start_wh, s.token_uid, s.group_id, now, now, period
            ),
        )

    async def run(self) -> None:
        """Process events until cancelled (the site opens the contactor after)."""
        async with asyncio.TaskGroup() as tg:
            self._tg = tg
            while True:
                # asyncio.timeout, not wait_for: on 3.11 wait_for can lose a
                # cancellation that arrives as the queue hands over an item.
                event: Event = Tick()
                try:
                    async with asyncio.timeout(self.clock.to_wall(TICK_S)):
                        event = await self.inbox.get()
                except TimeoutError:
                    pass
                await self._apply(event)

    async def open_contactor(self, timeout_s: float = 2.0) -> None:
        """Best effort on shutdown: open the contactor while the bus still runs."""
        with contextlib.suppress(DriverError, TimeoutError):
            async with asyncio.timeout(timeout_s):
                await self._contactor(SetContactor(False, 0.0))

    async def _apply(self, event: Event) -> None:
        if self._resend_contactor and isinstance(event, BoardRead):
            # The board answers again: make the machine re-send its command.
            self.state = replace(self.state, contactor=None)
            self._resend_contactor = False
        before = self.state
        self.state, actions = step(
            self.state,
            event,
            self.clock.monotonic(),
            self.clock.utcnow(),
            self.settings,
        )
        await self._execute(actions)
        if self.on_change is not None and (actions or before.phase != self.state.phase):
            self.on_change(self)

    async def _authorize(self, uid: str) -> None:
        decision = await self.authorizer.authorize(uid)
        self.inbox.put_nowait(decision)

    async def _execute(self, actions: list[Action]) -> None:
        """Run one step's actions.

        Opening the contactor comes first and never waits for the disk. Every
        store write of the step is one transaction. Closing the contactor comes
        after it, so a session is on disk before energy flows.
        """
        uid = self.settings.evse_uid
        for action in actions:
            if isinstance(action, SetContactor) and not action.closed:
                await self._contactor(action)
        writes = [w for a in actions if (w := self._store_write(a)) is not None]
        if writes:

            def run_all(db: StoreHandle) -> None:
                with transaction(db):
                    for write in writes:
                        write(db)

            await self.db.run(run_all)
        for action in actions:
            if isinstance(action, SetContactor) and action.closed:
                await self._contactor(action)
            elif isinstance(action, Authorize):
                self._tg.create_task(self._authorize(action.uid))
            elif isinstance(action, Rejected):
                log.info("EVSE %s: card refused: %s", uid, action.reason)
            elif isinstance(action, StartSession):
                log.info("EVSE %s session %s started", uid, action.session_id)
            elif isinstance(action, SetStatus):
                log.info("EVSE %s status %s (%s)", uid, action.status, action.reason)
            elif isinstance(action, StopSession):
                log.info(
                    "EVSE %s session %s stopped (%s)",
                    uid,
                    action.session_id,
                    action.reason,
                )

    def _store_write(self, action: Action) -> Callable[[StoreHandle], object] | None:
        """The store write an action needs, if any (run in the step's transaction)."""
        uid = self.settings.evse_uid
        now = self.clock.utcnow()
        if isinstance(action, StartSession):
            session = Session(
                id=action.session_id,
                evse_uid=uid,
                token_uid=action.token_uid,
                token_type=action.token_type,
                contract_id=action.contract_id,
                auth_method=action.auth_method,
                auth_reason=action.auth_reason,
                status=SessionStatus.ACTIVE,
                start=action.start,
                end=None,
                meter_start_wh=action.meter_start_wh,
                meter_last_wh=action.meter_start_wh,
                meter_stop_wh=None,
                stop_reason=None,
                last_updated=action.start,
                group_id=action.group_id,
            )
            return lambda db: repo.start_session(db, session, action.period)
        if isinstance(action, Checkpoint):
            return lambda db: repo.checkpoint(
                db, action.session_id, action.meter_wh, now, action.period
            )
        if isinstance(action, NewPeriod):
            return lambda db: repo.new_period(
                db,
                action.session_id,
                action.closed,
                action.opened,
                action.meter_wh,
                now,
            )
        if isinstance(action, StopSession):
            return lambda db: repo.stop_session(
                db,
                action.session_id,
                action.meter_stop_wh,
                action.end,
                action.reason,
                action.final_period,
            )
        if isinstance(action, SetStatus):
            return lambda db: repo.set_evse_status(
                db, uid, action.status.value, action.reason, now
            )
        return None

    async def _contactor(self, action: SetContactor) -> None:
        """Close: contactor, then the board's offer; open: offer first, then contactor.

        The EV draws only while the board offers current, so the contactor never
        switches under load.
        """
        try:
            if action.closed and self.contactor is not None:
                await self.contactor.switch(True)
            await self.board.set_charging(action.closed, action.current_a)
            if not action.closed and self.contactor is not None:
                await self.contactor.switch(False)
        except DriverError as exc:
            # Re-sent once the board answers again; meanwhile its silence puts
            # the EVSE in its safe state.
            if not self._resend_contactor:
                log.warning(
                    "EVSE %s: contactor command failed: %s", self.settings.evse_uid, exc
                )
            self._resend_contactor = True
