"""Drive the pure state machine with a fake time line."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from edge.evse.actions import Action
from edge.evse.events import BoardRead, Event, MeterRead, Tick
from edge.evse.state_machine import EvseSettings, EvseState, initial_state, step
from edge.evse.states import CpState
from edge.model.authorization import AuthDecision

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


@dataclass
class Harness:
    cfg: EvseSettings = field(
        default_factory=lambda: EvseSettings("E1", device_timeout_s=10)
    )
    now: float = 0.0
    state: EvseState = field(default_factory=lambda: initial_state(0.0))
    log: list[Action] = field(default_factory=list)

    def send(self, event: Event, dt: float = 0.0) -> list[Action]:
        self.now += dt
        utc = T0 + timedelta(seconds=self.now)
        self.state, actions = step(self.state, event, self.now, utc, self.cfg)
        self.log += actions
        return actions

    def both(self, cp: CpState, wh: int, dt: float = 1.0) -> list[Action]:
        """One poll cycle: board then meter."""
        return self.send(BoardRead(cp), dt) + self.send(MeterRead(wh, 0.0), 0.001)

    def accept(self, uid: str, group: str | None = None) -> list[Action]:
        return self.send(AuthDecision(uid, True, "local list", "RFID", None, group))

    def tick(self, dt: float) -> list[Action]:
        return self.send(Tick(), dt)

    def of(self, kind: type) -> list[Action]:
        return [a for a in self.log if isinstance(a, kind)]
