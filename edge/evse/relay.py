"""The board's own relay held to the command: pure checks for the state machine.

A board that reports its relay (a ``relay_closed`` row) is compared with what
the machine commands, after every board read. Closed for longer than
``relay_settle_s`` while commanded open is RELAY_WELDED, for as long as it
stays closed (the contactor stays commanded open). Open that long while
commanded closed and the EV asks for current (CP C or D) is RELAY_NOT_CLOSED,
held for ``relay_retry_s``; then closing is tried again (the EV that stops
asking ends the hold too). A new command restarts the settle time.

An external contactor's relay module (coil and mirror contact) says the same of
the contactor: welded is WELDED_CONTACTOR (the state machine's ``welded``); open
with its coil on is CONTACTOR_NOT_CLOSED, held for ``relay_retry_s`` from the
verdict (the module has waited its own settle time), then tried again.

All are OUTOFORDER: a welded relay cannot cut the power, and a relay that does
not close cannot deliver it, so the next driver should not be offered the EVSE
(a card is refused rather than starting a session that gets nothing). The
retry lets a passing cause (the board's own error recovery, an RCD that
resets) recover by itself.
"""

from __future__ import annotations

from dataclasses import replace

from edge.evse.machine_state import EvseSettings, EvseState, RelayMismatch
from edge.evse.states import CpState, FaultKind

ASKING = (CpState.C, CpState.D)


def read(s: EvseState, cp: CpState, relay_closed: bool | None, now: float) -> EvseState:
    """Compare the relay the board reports with the command it was given."""
    kind = None
    if relay_closed is True and s.contactor is not True:
        kind = FaultKind.RELAY_WELDED
    elif relay_closed is False and s.contactor is True and cp in ASKING:
        kind = FaultKind.RELAY_NOT_CLOSED
    if kind is None:
        return replace(s, relay_mismatch=None) if s.relay_mismatch else s
    if s.relay_mismatch is not None and s.relay_mismatch.kind is kind:
        return s
    return replace(s, relay_mismatch=RelayMismatch(kind, now))


def contactor_not_closed(s: EvseState, now: float, cfg: EvseSettings) -> EvseState:
    """The contactor's mirror contact: it stayed open while its coil was on."""
    if s.contactor is not True or s.contactor_retry_at is not None:
        return s  # a verdict on an older command, or held already
    return replace(s, contactor_retry_at=now + cfg.relay_retry_s)


def hold(s: EvseState, now: float, cfg: EvseSettings) -> EvseState:
    """A relay that did not close holds the EVSE until the retry (or no EV asks)."""
    if s.contactor_retry_at is not None and now >= s.contactor_retry_at:
        s = replace(s, contactor_retry_at=None)
    m = s.relay_mismatch
    if (
        m is not None
        and m.kind is FaultKind.RELAY_NOT_CLOSED
        and now - m.since >= cfg.relay_settle_s
    ):
        return replace(s, relay_mismatch=None, relay_retry_at=now + cfg.relay_retry_s)
    if s.relay_retry_at is not None and (now >= s.relay_retry_at or s.cp not in ASKING):
        return replace(s, relay_retry_at=None)
    return s


def fault(s: EvseState, now: float, cfg: EvseSettings) -> FaultKind | None:
    """The relay fault that holds now, if any."""
    if s.contactor_retry_at is not None:
        return FaultKind.CONTACTOR_NOT_CLOSED
    m = s.relay_mismatch
    if (
        m is not None
        and m.kind is FaultKind.RELAY_WELDED
        and now - m.since >= cfg.relay_settle_s
    ):
        return FaultKind.RELAY_WELDED
    if s.relay_retry_at is not None:
        return FaultKind.RELAY_NOT_CLOSED
    return None
