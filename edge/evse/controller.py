"""One task per EVSE: feed events to the pure state machine, run its actions.

Readings arrive from the drivers as callbacks and are queued; the task applies
them in order, then executes the actions: durable store writes first (a session
is on disk before its contactor closes), then hardware writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import replace

from drivers.errors import DriverError
from drivers.ports import ContactorPort, EvseBoardPort
from edge.evse.events import (
    Action,
    Authorize,
    BoardRead,
    CancelRequest,
    Checkpoint,
    CommandDone,
    DropReservation,
    EnableConfirmed,
    Event,
    HoldReservation,
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
from edge.evse.meter_input import READ_TIME_SLACK_WALL_S, MeterInput
from edge.evse.state_machine import (
    ActiveSession,
    EvseSettings,
    EvseState,
    Reservation,
    initial_state,
    step,
)
from edge.evse.states import CpState
from edge.model.authorization import Authorization
from edge.model.clock import Clock
from edge.model.commands import CommandOutcome, CommandResult
from edge.model.events import DeviceReading, DeviceSilent
from edge.model.measurement import Measurement
from edge.model.session import Session, SessionStatus
from edge.store import reservations as reservations_repo
from edge.store import sessions as repo
from edge.store.db import Database, StoreHandle, transaction

log = logging.getLogger(__name__)
TICK_S = 1.0
HOLD_S = 10.0
"""Site seconds a step that only checkpoints or changes status may wait on disk.

Checkpoints fall on site-wide boundaries, so every EVSE's checkpoint (and any
status change) within this window shares one synced commit: fewer flash writes.
A power cut inside the window loses at most that checkpoint or status, never a
session start, stop or period (those steps are committed before they act).
"""
DEFERRABLE = (Checkpoint, SetStatus)


class EvseController:
    """Owns one EVSE's state machine, and through it the contactor."""

    def __init__(
        self,
        settings: EvseSettings,
        board: EvseBoardPort,
        authorizer: Authorization,
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
        self.meter_input = MeterInput(settings, clock.from_wall(READ_TIME_SLACK_WALL_S))
        self.on_change: Callable[[EvseController], None] | None = None
        self.on_reservation_dropped: Callable[[str, str], None] | None = None
        """Called with (reservation id, reason) when the site drops one early."""
        self._resend_contactor = False
        self._requests: dict[str, asyncio.Future[CommandResult]] = {}

    # ---- inputs from drivers (callbacks, never block) ---------------------------
    def on_board(self, item: DeviceReading | DeviceSilent) -> None:
        """A board poll finished."""
        if isinstance(item, DeviceSilent):
            return  # silence is detected by time in the state machine
        cp = item.values.get(Measurement.CP_STATE)
        if not isinstance(cp, str):
            return
        relay = item.number(Measurement.RELAY_CLOSED)
        enabled = None
        if self.settings.board_latch:
            value = item.number(Measurement.CHARGING_ENABLED)
            enabled = None if value is None else value >= 0.5
        self.inbox.put_nowait(
            BoardRead(CpState(cp), None if relay is None else relay >= 0.5, enabled)
        )

    def on_relay(self, item: DeviceReading | DeviceSilent) -> None:
        """The relay module was polled: check the contactor's mirror contact."""
        if isinstance(item, DeviceSilent) or self.contactor is None:
            return
        welded = self.contactor.welded()
        if welded is not None and welded != self.state.welded:
            self.inbox.put_nowait(MirrorRead(welded))

    def on_meter(self, item: DeviceReading | DeviceSilent) -> None:
        """A meter poll finished: its reading, once judged, goes to the machine.

        Only a believed reading reaches the state machine (and renews the
        meter's freshness, as of the time the register was read on the wire);
        see :mod:`edge.evse.meter_input`.
        """
        event = self.meter_input.feed(item)
        if event is not None:
            self.power_w = event.power_w
            self.inbox.put_nowait(event)

    @property
    def meter_rejections(self) -> dict[str, int]:
        """Meter readings not believed, by reason (see ``reading_judge.Reason``)."""
        return self.meter_input.rejections

    @property
    def meter_resets(self) -> int:
        """Meter replacements (or resets) taken as a new baseline."""
        return self.meter_input.state.resets

    def on_token(self, uid: str) -> None:
        """A card was read at this EVSE."""
        self.inbox.put_nowait(TokenPresented(uid))

    # ---- the loop -----------------------------------------------------------------
    # ---- remote commands -----------------------------------------------------------
    async def request(
        self, make: Callable[[str], Event], timeout_s: float
    ) -> CommandResult:
        """Feed the event ``make(request_id)`` and await the machine's answer.

        The answer is the :class:`CommandDone` the machine emits when the outcome
        happened (after that step's store writes); TIMEOUT after ``timeout_s``
        site seconds, and then the machine drops what it still waited for.
        """
        rid = uuid.uuid4().hex
        fut: asyncio.Future[CommandResult] = asyncio.get_running_loop().create_future()
        self._requests[rid] = fut
        self.inbox.put_nowait(make(rid))
        try:
            async with asyncio.timeout(self.clock.to_wall(timeout_s)):
                return await fut
        except TimeoutError:
            self.inbox.put_nowait(CancelRequest(rid))
            return CommandResult(
                CommandOutcome.TIMEOUT, f"no outcome within {timeout_s:g} s"
            )
        finally:
            self._requests.pop(rid, None)

    def _answer(self, done: CommandDone) -> None:
        fut = self._requests.get(done.request)
        if fut is not None and not fut.done():
            fut.set_result(CommandResult(done.outcome, done.message))

    # ---- the loop -----------------------------------------------------------------
    async def resume(self) -> None:
        """Take over the session and reservation the store holds for this EVSE."""
        evse_uid = self.settings.evse_uid
        last_wh: list[int] = []

        def load(db: StoreHandle) -> tuple[ActiveSession | None, Reservation | None]:
            held = reservations_repo.held_by(db, evse_uid)
            reservation = (
                None
                if held is None
                else Reservation(
                    held.id, held.token, held.expiry, held.authorization_reference
                )
            )
            s = repo.active_session_for(db, evse_uid)
            if s is None:
                return None, reservation
            last_wh.append(s.meter_last_wh)
            session = ActiveSession(
                s.id,
                s.meter_start_wh,
                s.token_uid,
                s.group_id,
                0.0,  # the next checkpoint boundary, once running
                self.clock.monotonic(),
                repo.open_period(db, s.id),
                enable_confirmed=repo.board_enabled(db, s.id),
            )
            return session, reservation

        session, reservation = await self.db.run(load)
        if last_wh:
            # The resumed session's last stored reading is what the judge
            # believes until the meter answers (a meter swapped while we were
            # down is then seen as one, not billed as negative energy).
            self.meter_input.seed(last_wh[0])
        if session is not None:
            log.info("EVSE %s resumes session %s", evse_uid, session.id)
        if reservation is not None:
            log.info("EVSE %s keeps reservation %s", evse_uid, reservation.id)
        self.state = initial_state(self.clock.monotonic(), session, reservation)

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
        committed = await self._execute(actions)
        if committed is not None:  # tell the uplink once the held write is on disk
            committed.add_done_callback(self._held_write_done)
        elif self.on_change is not None and (
            actions or before.phase != self.state.phase
        ):
            self.on_change(self)

    def _held_write_done(self, committed: asyncio.Future[None]) -> None:
        if not committed.cancelled() and (exc := committed.exception()) is not None:
            log.error("EVSE %s: store write failed: %r", self.settings.evse_uid, exc)
        if self.on_change is not None:
            self.on_change(self)

    async def _authorize(self, uid: str) -> None:
        decision = await self.authorizer.authorize(uid, evse_uid=self.settings.evse_uid)
        self.inbox.put_nowait(decision)

    async def _execute(self, actions: list[Action]) -> asyncio.Future[None] | None:
        """Run one step's actions; return the held write's future, if it was held.

        Opening the contactor comes first and never waits for the disk. Every
        store write of the step is one transaction. Closing the contactor comes
        after it, so a session is on disk before energy flows. A step that only
        checkpoints or changes status is held (:data:`HOLD_S`) for group commit.
        """
        uid = self.settings.evse_uid
        for action in actions:
            if isinstance(action, SetContactor) and not action.closed:
                await self._contactor(action)
        writes = [w for a in actions if (w := self._store_write(a)) is not None]
        held: asyncio.Future[None] | None = None
        if writes:

            def run_all(db: StoreHandle) -> None:
                with transaction(db):
                    for write in writes:
                        write(db)

            if all(isinstance(a, DEFERRABLE) for a in actions):
                held = self.db.write_later(run_all, self.clock.to_wall(HOLD_S))
            else:
                await self.db.run(run_all)
        for action in actions:
            if isinstance(action, SetContactor) and action.closed:
                await self._contactor(action)
            elif isinstance(action, Authorize):
                self._tg.create_task(self._authorize(action.uid))
            elif isinstance(action, CommandDone):
                self._answer(action)
            elif isinstance(action, DropReservation):
                log.info(
                    "EVSE %s reservation %s dropped (%s)",
                    uid,
                    action.reservation_id,
                    action.reason,
                )
                if action.notify and self.on_reservation_dropped is not None:
                    self.on_reservation_dropped(action.reservation_id, action.reason)
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
        return held

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
            extras = repo.SessionExtras(
                action.authorization_reference,
                action.token_country_code,
                action.token_party_id,
            )
            return lambda db: repo.start_session(db, session, action.period, extras)
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
        if isinstance(action, EnableConfirmed):
            return lambda db: repo.confirm_board_enabled(db, action.session_id)
        if isinstance(action, HoldReservation):
            return lambda db: reservations_repo.hold(
                db,
                uid,
                action.reservation_id,
                action.token,
                action.expiry,
                action.authorization_reference,
                now,
            )
        if isinstance(action, DropReservation):
            return lambda db: reservations_repo.drop(db, action.reservation_id)
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
