"""The commissioning page's contactor test: close one EVSE's contactor briefly.

An installer wires a contactor and wants to hear it click. The test is allowed
only while nothing can draw through it: the EVSE has a separate contactor (a
relay-module channel), the board reports CP state A (no EV connected), no
session, authorization or stop is in progress and the state machine holds the
contactor open. Then the coil is energised for ``pulse_s`` of site time and
released; released also when anything goes wrong on the way (cancellation
included), and never left closed. Every test and every refusal is logged with
who asked.

The state machine is not told: the pulse is shorter than its relay settle time
(``relay_settle_s``), and the relay driver judges the mirror contact against
the coil it last wrote, so a pulse is not taken for a welded contactor.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from drivers.errors import DriverError
from edge.evse.controller import EvseController
from edge.evse.states import CpState

log = logging.getLogger(__name__)

PULSE_S = 2.0
"""How long the coil is held, in site time."""


@dataclass(frozen=True)
class ContactorTestResult:
    """What a test did: ``done`` or the reason it was refused or failed."""

    done: bool
    message: str


class ContactorTester:
    """Contactor tests for one EVSE, one at a time."""

    def __init__(self, controller: EvseController, pulse_s: float = PULSE_S) -> None:
        """Test ``controller``'s contactor with pulses of ``pulse_s`` site seconds."""
        self.controller = controller
        self.pulse_s = min(pulse_s, controller.settings.relay_settle_s / 2)
        self._lock = asyncio.Lock()

    @property
    def available(self) -> bool:
        """The EVSE has a separate contactor to test."""
        return self.controller.contactor is not None

    def refusal(self) -> str | None:
        """Why a test is not allowed now (None: allowed)."""
        ctl = self.controller
        s = ctl.state
        if ctl.contactor is None:
            return "this EVSE has no separate contactor (its board switches itself)"
        if self._lock.locked():
            return "a contactor test is already running on this EVSE"
        if s.cp is None:
            return "the board has not been read yet: the EV's state is unknown"
        if s.cp is not CpState.A:
            return f"an EV is connected (CP state {s.cp.value}): unplug it first"
        if s.session is not None or s.pending is not None or s.stopping is not None:
            return "a session is running or being authorized"
        if s.contactor is True:
            return "the controller holds the contactor closed"
        if s.welded:
            return "the contactor reads welded: repair it first"
        return None

    async def run(self, who: str) -> ContactorTestResult:
        """Pulse the contactor for ``who`` (logged), or say why not."""
        uid = self.controller.settings.evse_uid
        why = self.refusal()
        contactor = self.controller.contactor
        if why is not None or contactor is None:
            why = why or "this EVSE has no separate contactor"
            log.warning("EVSE %s: contactor test by %s refused: %s", uid, who, why)
            return ContactorTestResult(False, why)
        async with self._lock:
            log.warning(
                "EVSE %s: contactor test by %s: closing for %.1f s",
                uid,
                who,
                self.pulse_s,
            )
            try:
                await contactor.switch(True)
                await self.controller.clock.sleep(self.pulse_s)
            except DriverError as exc:
                log.error("EVSE %s: contactor test by %s failed: %s", uid, who, exc)
                return ContactorTestResult(False, f"the relay did not answer: {exc}")
            finally:
                await self._release()
        log.warning("EVSE %s: contactor test by %s done (opened)", uid, who)
        return ContactorTestResult(True, f"contactor closed for {self.pulse_s:.1f} s")

    async def _release(self) -> None:
        """Open the coil unless the state machine closed it meanwhile."""
        contactor = self.controller.contactor
        if contactor is None or self.controller.state.contactor is True:
            return
        try:
            await asyncio.shield(contactor.switch(False))
        except DriverError as exc:
            log.error(
                "EVSE %s: contactor test could not open the contactor: %s",
                self.controller.settings.evse_uid,
                exc,
            )
