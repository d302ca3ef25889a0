"""Input adapters: the drivers' typed readings as state-machine events (pure).

The meter's readings are judged first (:mod:`edge.evse.meter_input`); the
board's and the contactor's become events here. A device's silence is no event:
the state machine detects it by time.
"""

from __future__ import annotations

from edge.evse.events import BoardRead, MirrorRead
from edge.model.events import BoardReading, ContactorReading, DeviceSilent


def board_event(item: BoardReading | DeviceSilent, latch: bool) -> BoardRead | None:
    """A board poll as the machine hears it.

    ``latch``: the board disables itself after a charge, so whether it is
    enabled matters (:attr:`edge.evse.machine_state.EvseSettings.board_latch`).
    """
    if isinstance(item, DeviceSilent):
        return None
    enabled = item.charging_enabled if latch else None
    return BoardRead(item.cp, item.relay_closed, enabled)


def mirror_event(
    item: ContactorReading | DeviceSilent, welded_before: bool
) -> MirrorRead | None:
    """A mirror contact's verdict, when it tells the machine something new.

    A contactor that did not close is told on every poll that sees it: the
    machine takes it only while it commands the contactor closed.
    """
    if isinstance(item, DeviceSilent) or item.welded is None:
        return None
    if item.not_closed:
        return MirrorRead(item.welded, not_closed=True)
    return None if item.welded == welded_before else MirrorRead(item.welded)
