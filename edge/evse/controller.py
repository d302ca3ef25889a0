"""One task per EVSE: feed events to the pure state machine, run its actions.

Readings arrive from the drivers as callbacks (:mod:`edge.evse.inputs`) and are
queued; the task applies them in order, then executes the actions in the
contactor's order: opening first, never waiting for the disk; then the step's
store writes as one transaction (:mod:`edge.evse.persistence`); then closing,
so that a session is on disk before its contactor closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace

from drivers.errors import DriverError
from drivers.ports import ContactorPort, EvseBoardPort
from edge.evse import persistence, resume
from edge.evse.actions import (
    Action,
    Authorize,
    CommandDone,
    DropReservation,
    Rejected,
    SetContactor,
    SetStatus,
    StartSession,
    StopSession,
)
from edge.evse.events import BoardRead, Event, Tick, TokenPresented
from edge.evse.inputs import board_event, mirror_event
from edge.evse.meter_input import READ_TIME_SLACK_WALL_S, MeterInput
from edge.evse.requests import CommandRequests
from edge.evse.state_machine import EvseSettings, EvseState, initial_state, step
from edge.model.authorization import Authorization
from edge.model.clock import Clock
from edge.model.commands import CommandResult
from edge.model.events import (
    BoardReading,
    ContactorReading,
    DeviceSilent,
    MeterReading,
)
from edge.store.db import Database

log = logging.getLogger(__name__)
TICK_S = 1.0


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
        self.currents_a: tuple[float | None, float | None, float | None] = (
            None,
            None,
            None,
        )
        """Per-phase currents of the meter's last believed reading."""
        self.meter_input = MeterInput(settings, clock.from_wall(READ_TIME_SLACK_WALL_S))
        self.requests = CommandRequests(self.inbox, clock)
        self.on_change: Callable[[EvseController], None] | None = None
        self.on_reservation_dropped: Callable[[str, str], None] | None = None
        """Called with (reservation id, reason) when the site drops one early."""
        self._resend_contactor = False

    # ---- inputs from drivers (callbacks, never block) ---------------------------
    def on_board(self, item: BoardReading | DeviceSilent) -> None:
        """A board poll finished."""
        event = board_event(item, self.settings.board_latch)
        if event is not None:
            self.inbox.put_nowait(event)

    def on_relay(self, item: ContactorReading | DeviceSilent) -> None:
        """The relay module was polled: the contactor's mirror contact's verdict."""
        event = mirror_event(item, self.state.welded)
        if event is not None:
            self.inbox.put_nowait(event)

    def on_meter(self, item: MeterReading | DeviceSilent) -> None:
        """A meter poll finished: its reading, once judged, goes to the machine.

        Only a believed reading reaches the state machine (and renews the
        meter's freshness, as of the time the register was read on the wire);
        see :mod:`edge.evse.meter_input`.
        """
        event = self.meter_input.feed(item)
        if event is not None and isinstance(item, MeterReading):
            self.power_w = event.power_w
            self.currents_a = item.currents_a
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

    # ---- remote commands -----------------------------------------------------------
    async def request(
        self, make: Callable[[str], Event], timeout_s: float
    ) -> CommandResult:
        """Feed ``make(request_id)`` and await the machine's answer (see requests)."""
        return await self.requests.request(make, timeout_s)

    # ---- the loop -----------------------------------------------------------------
    async def resume(self) -> None:
        """Take over the session and reservation the store holds for this EVSE."""
        uid = self.settings.evse_uid
        held = await resume.load(self.db, uid, self.clock.monotonic())
        if held.last_wh is not None:
            # The resumed session's last stored reading is what the judge
            # believes until the meter answers (a meter swapped while we were
            # down is then seen as one, not billed as negative energy).
            self.meter_input.seed(held.last_wh)
        if held.session is not None:
            log.info("EVSE %s resumes session %s", uid, held.session.id)
        if held.reservation is not None:
            log.info("EVSE %s keeps reservation %s", uid, held.reservation.id)
        self.state = initial_state(
            self.clock.monotonic(), held.session, held.reservation
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

        Opening the contactor comes first and never waits for the disk; then the
        step's store writes (one transaction); then everything else, closing the
        contactor included, so a session is on disk before energy flows.
        """
        for action in actions:
            if isinstance(action, SetContactor) and not action.closed:
                await self._contactor(action)
        held = await persistence.commit(
            self.db, self.clock, self.settings.evse_uid, actions
        )
        for action in actions:
            await self._after_commit(action)
        return held

    async def _after_commit(self, action: Action) -> None:
        """What an action does once the step's writes are on disk."""
        uid = self.settings.evse_uid
        match action:
            case SetContactor(closed=True):
                await self._contactor(action)
            case Authorize(uid=card):
                self._tg.create_task(self._authorize(card))
            case CommandDone():
                self.requests.answer(action)
            case DropReservation(reservation_id=rid, reason=why, notify=notify):
                log.info("EVSE %s reservation %s dropped (%s)", uid, rid, why)
                if notify and self.on_reservation_dropped is not None:
                    self.on_reservation_dropped(rid, why)
            case Rejected(reason=why):
                log.info("EVSE %s: card refused: %s", uid, why)
            case StartSession(session_id=sid):
                log.info("EVSE %s session %s started", uid, sid)
            case SetStatus(status=status, reason=why):
                log.info("EVSE %s status %s (%s)", uid, status, why)
            case StopSession(session_id=sid, reason=why):
                log.info("EVSE %s session %s stopped (%s)", uid, sid, why)
            case _:
                pass  # opened before the writes, or written with them

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
