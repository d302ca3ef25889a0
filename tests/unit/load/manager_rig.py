"""A load manager over fake EVSE ports and one metered grid circuit (unit tests)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

from edge.evse.port import (
    Connector,
    Draw,
    EvseIdentity,
    EvseKind,
    EvseView,
    RunningSession,
)
from edge.evse.states import EvseStatus, Phase
from edge.load.manager import LoadManager
from edge.load.site import Circuit, EvseLeaf, LoadRules, Metered, Site
from edge.load.site import Phase as GridPhase
from edge.model.clock import ManualClock
from edge.model.commands import CommandOutcome, CommandResult
from edge.model.events import DeviceReading
from edge.model.measurement import Measurement as M

ROT = (GridPhase.L1, GridPhase.L2, GridPhase.L3)
UTC0 = datetime(2026, 1, 1, tzinfo=UTC)


class FakePort:
    """An EVSE port that takes every limit (or refuses, when told)."""

    def __init__(self, uid: str, clock: ManualClock) -> None:
        self.clock = clock
        self._identity = EvseIdentity(
            uid, None, EvseKind.BOARD, (Connector("1"),), 3, 230.0, 6.0, 16.0
        )
        self.limit_a = 16.0
        self.session: RunningSession | None = None
        self._drawn: tuple[float, float, float] | None = None
        self.drawn_at = 0.0
        self.writes: list[tuple[str, float]] = []
        self.log: list[tuple[str, float]]
        self.refuse = False
        self.asking = True
        """The car asks for current (CHARGING) or not (SUSPENDED_EV)."""
        self._listeners: list[Callable[[str], None]] = []

    @property
    def identity(self) -> EvseIdentity:
        return self._identity

    @property
    def drawn(self) -> tuple[float, float, float] | None:
        """Its meter's currents, as read when they were set (the clock's time)."""
        return self._drawn

    @drawn.setter
    def drawn(self, amps: tuple[float, float, float] | None) -> None:
        self._drawn, self.drawn_at = amps, self.clock.monotonic()

    def view(self) -> EvseView:
        draw = None
        if self.drawn is not None:
            draw = Draw(0.0, self.drawn, self.drawn_at)
        return EvseView(
            EvseStatus.CHARGING if self.session else EvseStatus.AVAILABLE,
            (Phase.CHARGING if self.asking else Phase.SUSPENDED_EV)
            if self.session
            else Phase.AVAILABLE,
            None,
            1000,
            draw,
            self.limit_a,
            self.limit_a if self.session and self.limit_a > 0 else None,
            self.session,
        )

    def on_change(self, callback: Callable[[str], None]) -> None:
        self._listeners.append(callback)

    def changed(self) -> None:
        for cb in self._listeners:
            cb(self._identity.uid)

    async def start(self, *_: object) -> CommandResult:
        raise NotImplementedError

    async def stop(self, *_: object) -> CommandResult:
        raise NotImplementedError

    async def set_current_limit(
        self, current_a: float | None, timeout_s: float
    ) -> CommandResult:
        await asyncio.sleep(0)
        assert current_a is not None
        self.log.append((self._identity.uid, current_a))
        if self.refuse:
            return CommandResult(CommandOutcome.REJECTED, "no")
        self.limit_a = current_a
        self.writes.append((self._identity.uid, current_a))
        return CommandResult(CommandOutcome.ACCEPTED)


def site(*uids: str, limit: float = 32.0, failsafe: float = 0.0) -> Site:
    leaves = tuple(EvseLeaf(u, 3, ROT, 6.0, 16.0, 1) for u in uids)
    root = Circuit("grid", (limit, limit, limit), Metered(), evses=leaves)
    return Site((root,), LoadRules(margin_a=1.0, failsafe_current_a=failsafe))


def rig(
    *uids: str, limit: float = 32.0, failsafe: float = 0.0
) -> tuple[LoadManager, dict[str, FakePort], ManualClock]:
    clock = ManualClock(UTC0)
    log: list[tuple[str, float]] = []
    ports = {u: FakePort(u, clock) for u in uids}
    for p in ports.values():
        p.log = log
    return (
        LoadManager(site(*uids, limit=limit, failsafe=failsafe), ports, clock),
        ports,
        clock,
    )


def reading(clock: ManualClock, amps: tuple[float, float, float]) -> DeviceReading:
    now = clock.monotonic()
    values: dict[M, float | str] = {
        M.CURRENT_L1: amps[0],
        M.CURRENT_L2: amps[1],
        M.CURRENT_L3: amps[2],
    }
    return DeviceReading("grid/meter", values, now, clock.utcnow())


def session(sid: str) -> RunningSession:
    return RunningSession(sid, "AA", None, UTC0, 0, 0)
