"""Hypothesis drives the state machine with any sequence of inputs.

Invariants after every step:
- the contactor is closed only with an active session, a connected EV, no fault,
  no stop in progress;
- every fault leaves the contactor open;
- at most one active session; every started session is stopped at most once, and
  a session is only stopped if it was started (or resumed);
- session energy never decreases; the stop reading is never below the start.
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from edge.evse.events import (
    AuthDecision,
    BoardRead,
    MeterRead,
    MirrorRead,
    RemoteStop,
    SetContactor,
    StartSession,
    StopSession,
    Tick,
    TokenPresented,
)
from edge.evse.state_machine import EvseSettings
from edge.evse.states import CpState

from .harness import Harness

CARDS = st.sampled_from(["AA11", "BB22", "CC33"])
# Mostly poll-cycle steps, sometimes long enough for a device to fall silent.
DT = st.one_of(st.floats(0, 2), st.floats(0, 2), st.floats(0, 25))
CP = st.sampled_from([CpState.A, CpState.B, CpState.C, CpState.C, CpState.C, CpState.E])


class EvseMachine(RuleBasedStateMachine):
    sessions_seen = 0

    def __init__(self) -> None:
        super().__init__()
        self.h = Harness(
            cfg=EvseSettings("E1", device_timeout_s=10, checkpoint_interval_s=30)
        )
        self.wh = 1000
        self.started: dict[str, StartSession] = {}
        self.stopped: dict[str, StopSession] = {}
        self.contactor = False
        self.max_energy_seen: dict[str, int] = {}

    def _record(self, actions: list) -> None:
        for a in actions:
            if isinstance(a, SetContactor):
                self.contactor = a.closed
            elif isinstance(a, StartSession):
                assert a.session_id not in self.started
                self.started[a.session_id] = a
            elif isinstance(a, StopSession):
                assert a.session_id in self.started, "stopped a session never started"
                assert a.session_id not in self.stopped, "stopped twice"
                assert a.meter_stop_wh >= self.started[a.session_id].meter_start_wh
                self.stopped[a.session_id] = a

    @rule(cp=CP, dt=DT)
    def board(self, cp: CpState, dt: float) -> None:
        self._record(self.h.send(BoardRead(cp), dt))

    @rule(cp=st.sampled_from(list(CpState)), add=st.integers(-50, 500), dt=DT)
    def poll_cycle(self, cp: CpState, add: int, dt: float) -> None:
        self._record(self.h.send(BoardRead(cp), dt))
        self.wh = max(0, self.wh + add)
        self._record(self.h.send(MeterRead(self.wh, 0.0), 0.01))

    @rule(add=st.integers(-50, 500), dt=DT)
    def meter(self, add: int, dt: float) -> None:
        self.wh = max(0, self.wh + add)
        self._record(self.h.send(MeterRead(self.wh, 0.0), dt))

    @rule(uid=CARDS)
    def card(self, uid: str) -> None:
        self._record(self.h.send(TokenPresented(uid)))

    @rule(uid=CARDS, ok=st.booleans(), group=st.sampled_from([None, "g1", "g2"]))
    def decision(self, uid: str, ok: bool, group: str | None) -> None:
        self._record(self.h.send(AuthDecision(uid, ok, "test", group_id=group)))

    @rule(ok=st.integers(0, 3), group=st.sampled_from([None, "g1"]))
    def answer_pending(self, ok: int, group: str | None) -> None:
        p = self.h.state.pending
        if p is not None:
            self._record(
                self.h.send(AuthDecision(p.uid, ok > 0, "test", group_id=group))
            )

    @rule(welded=st.booleans())
    def mirror(self, welded: bool) -> None:
        self._record(self.h.send(MirrorRead(welded)))

    @rule()
    def remote_stop(self) -> None:
        self._record(self.h.send(RemoteStop()))

    @rule(dt=DT)
    def tick(self, dt: float) -> None:
        self._record(self.h.send(Tick(), dt))

    def teardown(self) -> None:
        EvseMachine.sessions_seen += len(self.started)

    @invariant()
    def contactor_only_when_safe(self) -> None:
        s = self.h.state
        if self.contactor:
            assert s.session is not None
            assert s.cp is not None
            assert s.cp.connected
            assert s.fault is None
            assert s.stopping is None

    @invariant()
    def every_fault_opens(self) -> None:
        if self.h.state.fault is not None:
            assert not self.contactor

    @invariant()
    def at_most_one_active_session(self) -> None:
        active = set(self.started) - set(self.stopped)
        assert len(active) <= 1
        s = self.h.state.session
        assert (s is None and not active) or (s is not None and active == {s.id})

    @invariant()
    def energy_never_decreases(self) -> None:
        s = self.h.state
        if s.session is not None and s.meter_wh is not None:
            prev = self.max_energy_seen.get(s.session.id, 0)
            now = s.meter_wh - s.session.meter_start_wh
            assert now >= prev
            self.max_energy_seen[s.session.id] = now


EvseMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=60, deadline=None
)
TestEvseMachine = EvseMachine.TestCase


def test_generated_runs_reach_sessions() -> None:
    """Guard: the invariants above are only worth something if sessions happen."""
    EvseMachine.sessions_seen = 0
    TestEvseMachine("runTest").runTest()
    assert EvseMachine.sessions_seen >= 10
