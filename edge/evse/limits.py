"""The per-EVSE current limit a command sets: pure, like the state machine.

The machine offers ``min(max_current_a, limit)`` whenever it closes the
contactor, and tells the board again when the limit changes while charging.
IEC 61851-1 knows no PWM offer below 6 A, so a limit between 0 and 6 A is
refused. A limit of exactly 0 A is a **pause** (load management's): the board
stops offering and the contactor opens, but the session stays open, and the
next limit of 6 A or more closes it again (an OCPP charging profile of 0 A
means the same).
"""

from __future__ import annotations

from dataclasses import replace

from edge.evse.actions import CommandDone
from edge.evse.events import SetCurrentLimit
from edge.evse.machine_state import EvseSettings, EvseState
from edge.model.commands import CommandOutcome

MIN_CURRENT_A = 6.0
"""The lowest current a control pilot can offer (IEC 61851-1)."""
PAUSE_A = 0.0
"""The limit that pauses a session (no offer, contactor open, session kept)."""


def set_limit(
    s: EvseState, e: SetCurrentLimit, cfg: EvseSettings
) -> tuple[EvseState, CommandDone]:
    """Take the limit (or refuse it); the answer goes after the step's outputs."""
    a = e.current_a
    if a is not None and a != PAUSE_A and not MIN_CURRENT_A <= a <= cfg.max_current_a:
        why = (
            f"{a:g} A is outside {MIN_CURRENT_A:g}-{cfg.max_current_a:g} A "
            "(the pilot's minimum and this EVSE's max_current_a; 0 pauses)"
        )
        return s, CommandDone(e.request, CommandOutcome.REJECTED, why)
    limit = None if a is None or a >= cfg.max_current_a else a
    return replace(s, current_limit_a=limit), CommandDone(
        e.request, CommandOutcome.ACCEPTED
    )


def paused(s: EvseState) -> bool:
    """Whether the limit pauses the session (the contactor stays open)."""
    return s.current_limit_a == PAUSE_A


def offer_a(s: EvseState, cfg: EvseSettings) -> float:
    """What the board offers with the contactor closed."""
    if s.current_limit_a is None:
        return cfg.max_current_a
    return min(cfg.max_current_a, s.current_limit_a)
