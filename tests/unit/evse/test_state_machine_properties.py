"""Hypothesis drives the state machine with any sequence of inputs.

Invariants after every step:
- the contactor is closed only with an active session, a connected EV, no fault,
  no stop in progress;
- every fault leaves the contactor open;
- at most one active session; every started session is stopped at most once, and
  a session is only stopped if it was started (or resumed);
- session energy never decreases; the stop reading is never below the start;
- every remote command is answered at most once, a start ACCEPTED only in the
  step its session starts, a stop ACCEPTED only in the step its session closes;
- a reserved EVSE starts only for the reserving token or its group, and shows
  RESERVED only while it holds a reservation and no session;
- every meter reading goes through the judge (as in the controller), glitches
  included (+10^9 Wh, NaN, inf, a new meter): session energy is never a reading
  the judge did not believe, nor is any start, checkpoint or stop reading;
- a board relay reported closed while commanded open for the settle time or
  longer faults the EVSE, and the contactor stays commanded open.
"""

from __future__ import annotations

import math
from datetime import timedelta

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
)

from edge.evse.actions import (
    Checkpoint,
    CommandDone,
    SetContactor,
    SetStatus,
    StartSession,
    StopSession,
)
from edge.evse.events import (
    BoardRead,
    CancelRequest,
    CancelReservation,
    MeterRead,
    MeterReset,
    MirrorRead,
    RemoteStart,
    RemoteStop,
    Reserve,
    Tick,
    TokenPresented,
)
from edge.evse.reading_judge import (
    Accept,
    JudgeLimits,
    JudgeState,
    Reset,
    Sample,
    judge,
)
from edge.evse.state_machine import EvseSettings, EvseState
from edge.evse.states import CpState, EvseStatus
from edge.model.authorization import AuthDecision
from edge.model.commands import CommandOutcome, CommandToken

from .harness import T0, Harness

CARDS = st.sampled_from(["AA11", "BB22", "CC33"])
# Mostly poll-cycle steps, sometimes long enough for a device to fall silent.
DT = st.one_of(st.floats(0, 2), st.floats(0, 2), st.floats(0, 25))
CP = st.sampled_from([CpState.A, CpState.B, CpState.C, CpState.C, CpState.C, CpState.E])
# The board's own enable (a latching board): mostly on, sometimes latched off.
ENABLED = st.sampled_from([True, True, True, False])
TOKENS = st.sampled_from(
    [
        CommandToken("AA11", "RFID", "C-1", "NL", "EMS", group_id="g1"),
        CommandToken("APP9", "APP_USER", "C-9", "NL", "EMS"),
        CommandToken("APP8", "APP_USER", "C-8", "NL", "EMS", group_id="g1"),
    ]
)
RESERVATIONS = st.sampled_from(["R1", "R2"])
# Loose enough for the generated steps (up to 500 Wh in a fraction of a second),
# tight enough for the glitches.
LIMITS = JudgeLimits(max_power_w=1e7, step_wh=10.0)
GLITCH = st.sampled_from([1e9, math.nan, math.inf, -math.inf])


class EvseMachine(RuleBasedStateMachine):
    sessions_seen = 0
    resets_closing_a_session = 0

    def __init__(self) -> None:
        super().__init__()
        self.h = Harness(
            cfg=EvseSettings(
                "E1", device_timeout_s=10, checkpoint_interval_s=30, board_latch=True
            )
        )
        self.requests = 0
        self.answered: set[str] = set()
        self.status: EvseStatus | None = None
        self.wh = 5000
        self.started: dict[str, StartSession] = {}
        self.stopped: dict[str, StopSession] = {}
        self.contactor: bool | None = None
        self.max_energy_seen: dict[str, int] = {}
        self.welded_since: float | None = None
        """Since when the board's relay has read closed while commanded open."""
        self.relay: str | bool | None = "follows"
        self.judge = JudgeState()
        self.believed: set[int] = set()
        self.disbelieved: set[int] = set()

    def _read(self, energy_wh: float, dt: float) -> None:
        """One meter answer through the judge, as the controller's input does."""
        read_at = self.h.now + dt
        self.judge, v = judge(self.judge, Sample(energy_wh, read_at, 0.0), LIMITS)
        if isinstance(v, Accept):
            self.believed.add(round(energy_wh))
            self._record(
                self.h.send(MeterRead(round(energy_wh), 0.0, None, read_at), dt)
            )
            return
        if isinstance(v, Reset):
            self.believed.add(round(energy_wh))
            event = MeterReset(round(v.last_good.energy_wh), round(energy_wh), read_at)
            if self.h.state.session is not None:
                EvseMachine.resets_closing_a_session += 1
            self._record(self.h.send(event, dt))
            return
        if math.isfinite(energy_wh):
            self.disbelieved.add(round(energy_wh))
        self._record(self.h.send(Tick(), dt))

    def _send(self, event, dt: float = 0.0) -> None:
        before = self.h.state
        if isinstance(event, BoardRead):
            # the model of the relay check: closed while not commanded closed
            if event.relay_closed is not True or self.contactor is True:
                self.welded_since = None
            elif self.welded_since is None:
                self.welded_since = self.h.now + dt
        self._record(self.h.send(event, dt), before)

    def _request(self) -> str:
        self.requests += 1
        return f"q{self.requests}"

    def _record(self, actions: list, before: EvseState | None = None) -> None:
        started = {a.token_uid for a in actions if isinstance(a, StartSession)}
        stopped = {a.session_id for a in actions if isinstance(a, StopSession)}
        for a in actions:
            if isinstance(a, CommandDone):
                assert a.request not in self.answered, "answered twice"
                self.answered.add(a.request)
                if a.outcome is CommandOutcome.ACCEPTED and a.request.startswith("s"):
                    assert started, "start accepted without a session"
                if a.outcome is CommandOutcome.ACCEPTED and a.request.startswith("x"):
                    assert stopped, "stop accepted before the session closed"
            elif isinstance(a, SetStatus):
                self.status = a.status
            if (
                isinstance(a, StartSession)
                and before is not None
                and before.reservation is not None
                and a.token_uid is not None
            ):
                assert before.reservation.admits(a.token_uid, a.group_id)
        for a in actions:
            if isinstance(a, SetContactor):
                if a.closed != self.contactor:
                    self.welded_since = None  # a new command settles anew
                self.contactor = a.closed
            elif isinstance(a, Checkpoint):
                assert a.meter_wh not in self.disbelieved - self.believed
            elif isinstance(a, StartSession):
                assert a.meter_start_wh not in self.disbelieved - self.believed
                assert a.session_id not in self.started
                self.started[a.session_id] = a
            elif isinstance(a, StopSession):
                assert a.meter_stop_wh not in self.disbelieved - self.believed
                assert a.session_id in self.started, "stopped a session never started"
                assert a.session_id not in self.stopped, "stopped twice"
                assert a.meter_stop_wh >= self.started[a.session_id].meter_start_wh
                self.stopped[a.session_id] = a

    @rule(cp=CP, dt=DT, enabled=ENABLED)
    def board(self, cp: CpState, dt: float, enabled: bool) -> None:
        self._send(BoardRead(cp, self._relay(), enabled), dt)

    @rule(relay=st.sampled_from(["follows", None, True, False]))
    def relay_does(self, relay: str | bool | None) -> None:
        """The board's relay from now on: healthy, unreported, stuck closed or open."""
        self.relay = relay

    def _relay(self) -> bool | None:
        if self.relay == "follows":
            return bool(self.contactor)
        return self.relay if isinstance(self.relay, bool) else None

    @rule(
        cp=st.sampled_from(list(CpState)),
        add=st.integers(-50, 500),
        dt=DT,
        enabled=ENABLED,
    )
    def poll_cycle(self, cp: CpState, add: int, dt: float, enabled: bool) -> None:
        self._send(BoardRead(cp, self._relay(), enabled), dt)
        self.wh = max(0, self.wh + add)
        self._read(self.wh, 0.01)

    @rule(add=st.integers(-50, 500), dt=DT)
    def meter(self, add: int, dt: float) -> None:
        self.wh = max(0, self.wh + add)
        self._read(self.wh, dt)

    @rule(glitch=GLITCH, dt=DT)
    def meter_glitch(self, glitch: float, dt: float) -> None:
        """One bad answer (a bad frame, a gateway glitch); the meter is fine."""
        self._read(self.wh + glitch, dt)

    @precondition(lambda self: self.h.state.session is not None)
    @rule(below=st.integers(0, 500))
    def meter_replaced(self, below: int) -> None:
        """A new meter, far lower, then counting on (several readings)."""
        last = self.judge.last
        drop = LIMITS.reset_drop_wh + 20 + below
        if last is not None and last.energy_wh >= drop:
            self.wh = int(last.energy_wh - drop)
            for _ in range(LIMITS.reset_confirm):
                self.wh += 5
                self._read(self.wh, 1.0)

    @rule(uid=CARDS)
    def card(self, uid: str) -> None:
        self._record(self.h.send(TokenPresented(uid)))

    @rule(uid=CARDS, ok=st.booleans(), group=st.sampled_from([None, "g1", "g2"]))
    def decision(self, uid: str, ok: bool, group: str | None) -> None:
        self._send(AuthDecision(uid, ok, "test", group_id=group))

    @rule(token=TOKENS)
    def remote_start(self, token: CommandToken) -> None:
        self._send(RemoteStart("s" + self._request(), token, "REF"))

    @rule(current=st.booleans())
    def remote_stop_command(self, current: bool) -> None:
        s = self.h.state.session
        sid = s.id if s is not None and current else "other"
        self._send(RemoteStop("REMOTE", "x" + self._request(), sid))

    @rule(rid=RESERVATIONS, token=TOKENS, minutes=st.floats(-1, 3))
    def reserve(self, rid: str, token: CommandToken, minutes: float) -> None:
        expiry = T0 + timedelta(seconds=self.h.now + minutes * 60)
        self._send(Reserve("r" + self._request(), rid, token, expiry))

    @rule(rid=RESERVATIONS)
    def cancel_reservation(self, rid: str) -> None:
        self._send(CancelReservation(rid, "c" + self._request()))

    @rule()
    def caller_gives_up(self) -> None:
        if self.requests:
            self._send(CancelRequest(f"sq{self.requests}"))

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
    def a_welded_board_relay_faults_and_stays_open(self) -> None:
        since = self.welded_since
        if since is not None and self.h.now - since >= self.h.cfg.relay_settle_s:
            assert self.h.state.fault is not None
            assert not self.contactor

    @invariant()
    def reserved_only_while_held(self) -> None:
        s = self.h.state
        if self.status is EvseStatus.RESERVED:
            assert s.reservation is not None
            assert s.session is None

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
    def session_energy_is_never_a_rejected_reading(self) -> None:
        s = self.h.state
        if s.session is not None and s.meter_wh is not None:
            assert s.meter_wh not in self.disbelieved - self.believed
            # no glitch is ever billed (two equal glitches at start-up are a
            # meter that reads that much: a baseline, not energy)
            assert s.meter_wh - s.session.meter_start_wh < 1e9

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


def test_generated_runs_keep_the_invariants_and_reach_sessions() -> None:
    """The machine's one run (not also collected as a TestCase: that ran it twice).

    Guard: the invariants above are only worth something if sessions happen.
    """
    EvseMachine.sessions_seen = 0
    EvseMachine.resets_closing_a_session = 0
    EvseMachine.TestCase("runTest").runTest()
    assert EvseMachine.sessions_seen >= 10
    assert EvseMachine.resets_closing_a_session >= 1
