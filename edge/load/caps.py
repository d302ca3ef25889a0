"""Caps: upper bounds on EVSEs' currents from the optional inputs.

Pure. The solar surplus (:mod:`edge.load.surplus`) and the price plan give an
EVSE a :class:`Cap`; :func:`edge.load.allocator.allocate` applies it through
these rules, and every circuit's limit to what they leave, so a cap never
raises a car:

* a car capped below its minimum (plus the resume margin when paused) is
  paused with the cap's reason (:func:`pause_for`), as if it had no headroom
  (a surplus pause starts the resume delay);
* one capped above it rises no higher in the share (:func:`top_a`), and
  charges with the cap's reason when the cap is what holds it (:func:`why_held`);
* the failsafe current is capped too (:func:`capped`).
"""

from __future__ import annotations

from dataclasses import dataclass

from edge.load.setpoints import Charge, Pause, Setpoint, Why, round_down
from edge.load.site import EvseLeaf

_EPS = 1e-9


@dataclass(frozen=True)
class Cap:
    """An upper bound on an EVSE's current from an optional input (never raises it).

    Below the EVSE's minimum (plus the resume margin when paused) the EVSE is
    paused with ``pause``; a car held at the cap charges with ``charge``.
    """

    current_a: float
    charge: Why
    pause: Why


def pause_for(cap: Cap | None, base_a: float) -> Pause | None:
    """The pause of a car whose cap is below ``base_a`` (what it needs to charge)."""
    if cap is not None and cap.current_a < base_a - _EPS:
        return Pause(cap.pause)
    return None


def top_a(own_a: float, cap: Cap | None, leaf: EvseLeaf) -> float:
    """The most a car rises to in the share: its own top, under its cap."""
    return own_a if cap is None else max(leaf.min_a, min(own_a, cap.current_a))


def why_held(cap: Cap | None, leaf: EvseLeaf) -> Why | None:
    """Why a car at its top charges so, if its cap (not its maximum) holds it."""
    if cap is not None and cap.current_a < leaf.max_a - _EPS:
        return cap.charge
    return None


def capped(setpoint: Setpoint, cap: Cap | None, leaf: EvseLeaf) -> Setpoint:
    """A setpoint under an input's cap (paused when the cap is below the minimum)."""
    if cap is None or not isinstance(setpoint, Charge):
        return setpoint
    if cap.current_a < leaf.min_a - _EPS:
        return Pause(cap.pause)
    if cap.current_a < setpoint.current_a:
        return Charge(round_down(cap.current_a, leaf.min_a, leaf.step_a), setpoint.why)
    return setpoint
