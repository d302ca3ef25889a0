"""Relay checks at their exact instants: the survivors of mutation testing
(tests/mutation/run.py) in edge.evse.relay. A settle time or a retry that has
just elapsed counts as elapsed (``>=``), as the docstrings say ("for longer
than" holds from the instant it is reached, in whole-second polls)."""

from __future__ import annotations

from dataclasses import replace

from edge.evse import relay
from edge.evse.machine_state import EvseSettings, RelayMismatch
from edge.evse.state_machine import initial_state
from edge.evse.states import CpState, FaultKind

CFG = EvseSettings("E1")  # relay_settle_s 10, relay_retry_s 60


def test_a_welded_relay_is_a_fault_the_instant_the_settle_time_ends() -> None:
    s = replace(
        initial_state(0.0),
        contactor=False,
        relay_mismatch=RelayMismatch(FaultKind.RELAY_WELDED, 100.0),
    )
    assert relay.fault(s, 109.9, CFG) is None
    assert relay.fault(s, 110.0, CFG) is FaultKind.RELAY_WELDED


def test_a_relay_not_closed_is_held_the_instant_the_settle_time_ends() -> None:
    s = replace(
        initial_state(0.0),
        cp=CpState.C,
        contactor=True,
        relay_mismatch=RelayMismatch(FaultKind.RELAY_NOT_CLOSED, 100.0),
    )
    assert relay.hold(s, 109.9, CFG) == s
    held = relay.hold(s, 110.0, CFG)
    assert (held.relay_mismatch, held.relay_retry_at) == (None, 170.0)
    assert relay.fault(held, 110.0, CFG) is FaultKind.RELAY_NOT_CLOSED
    # the retry comes the instant it is due, with the EV still asking
    assert relay.hold(held, 169.9, CFG).relay_retry_at == 170.0
    assert relay.hold(held, 170.0, CFG).relay_retry_at is None


def test_a_contactor_not_closed_is_retried_the_instant_it_is_due() -> None:
    s = relay.contactor_not_closed(
        replace(initial_state(0.0), cp=CpState.C, contactor=True), 100.0, CFG
    )
    assert s.contactor_retry_at == 160.0
    assert relay.fault(relay.hold(s, 159.9, CFG), 159.9, CFG) is (
        FaultKind.CONTACTOR_NOT_CLOSED
    )
    assert relay.hold(s, 160.0, CFG).contactor_retry_at is None
