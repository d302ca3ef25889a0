"""The link of a simulated OCPP charger of ``edge sim``: connect, boot, beat.

:class:`SimLink` connects to the controller's central system as the charger
(Basic auth with the site file's password, its protocol's subprotocol: the
charger its :class:`~hal_sim.ocpp.sim_visits.SimVisited` makes on the link),
and connects again
:data:`RECONNECT_S` site seconds after a lost link or a refused handshake. On
each link it boots; accepted, it greets (the charger's statuses), keeps its
heartbeat and runs the charger's work (its MeterValues) until the link is
lost. :meth:`SimLink.send` is a call whose failure is a short reason, not an
exception: a simulated charger whose central system refuses or cannot answer
leaves its EV uncharged and says why.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Generic, Protocol, TypeVar

from edge.config.ocpp import OcppCharger
from edge.config.secret_file import read_secret_file
from edge.model.clock import Clock
from hal_sim.ocpp.charge_point import Boot, CallRefused
from hal_sim.ocpp.link import HandshakeRefused, LinkLost, RawLink, open_link

log = logging.getLogger(__name__)

ANSWER_WALL_S = 10.0
"""The least wall time the charger waits for an answer (30 site s otherwise)."""
RECONNECT_S = 10.0
"""Site seconds between connection attempts (never less than a wall second)."""


class Linked(Protocol):
    """A simulated charger on one link: 1.6's SimChargePoint, 2.0.1's station."""

    async def run(self) -> LinkLost:
        """Answer the central system until the link closes."""
        ...

    async def boot(self) -> Boot:
        """Send BootNotification."""
        ...

    async def keep_alive(self, interval_s: float) -> None:
        """Heartbeat every ``interval_s`` site seconds."""
        ...

    async def send(self, action: str, **fields: object) -> dict[str, Any]:
        """Any request by action name; its answer (CallRefused for a CALLERROR)."""
        ...


CP = TypeVar("CP", bound=Linked)
MakeCp = Callable[[RawLink, float], CP]
"""(the open link, the site seconds to wait for an answer) -> the charger on it."""


def charger_password(charger: OcppCharger) -> bytes | None:
    """The Basic-auth password the site file gives the charger (None: none)."""
    if charger.password_file is None:
        return None
    raw = read_secret_file(charger.password_file, "a simulated charger's password")
    raw = raw.rstrip(b"\r\n")
    return raw if charger.password_format == "text" else bytes.fromhex(raw.decode())


class SimLink(Generic[CP]):
    """One simulated charger's connection to the central system."""

    def __init__(
        self,
        charger: OcppCharger,
        clock: Clock,
        make: MakeCp[CP],
        greet: Callable[[CP], Coroutine[Any, Any, None]],
        work: Callable[[CP], Coroutine[Any, Any, None]],
    ) -> None:
        """``greet`` runs once booted; ``work`` beside the heartbeat after it."""
        self.charger = charger
        self.identity = charger.identity
        self.clock = clock
        self._make = make
        self._greet = greet
        self._work = work
        self.cp: CP | None = None
        """The charge point while connected and booted."""
        self.connected = asyncio.Event()

    async def run(self, url: str) -> None:
        """Stay connected to the central system at ``url`` until cancelled."""
        password = charger_password(self.charger)
        pause = max(RECONNECT_S, self.clock.from_wall(1.0))
        while True:
            try:
                link = await open_link(
                    url, self.identity, password, (self.charger.protocol,)
                )
            except (OSError, HandshakeRefused) as exc:
                log.info("sim OCPP %s: cannot connect (%s)", self.identity, exc)
                await self.clock.sleep(pause)
                continue
            # a fast site clock does not make the central system's store faster
            answer_s = max(30.0, self.clock.from_wall(ANSWER_WALL_S))
            cp = self._make(link, answer_s)
            try:
                async with asyncio.TaskGroup() as tg:
                    reader = tg.create_task(cp.run(), name=f"sim ocpp {self.identity}")
                    alive = tg.create_task(self._session(cp))
                    lost = await reader
                    alive.cancel()
                log.info("sim OCPP %s: link lost (%s)", self.identity, lost)
            finally:
                self.cp = None
                self.connected.clear()
                with contextlib.suppress(Exception):
                    await link.close()
            await self.clock.sleep(pause)

    async def _session(self, cp: CP) -> None:
        boot = await cp.boot()
        if boot.status != "Accepted":
            log.warning("sim OCPP %s: boot %s", self.identity, boot.status)
            return
        await self._greet(cp)
        self.cp = cp
        self.connected.set()
        async with asyncio.TaskGroup() as tg:
            tg.create_task(cp.keep_alive(boot.interval_s))
            tg.create_task(self._work(cp))

    async def send(self, action: str, **fields: object) -> dict[str, Any] | str:
        """The answer to ``action``, or why there is none (a short reason)."""
        cp = self.cp
        if cp is None:
            return "the charger is not connected"
        try:
            return await cp.send(action, **fields)
        except CallRefused as exc:
            return f"{action} refused with {exc.code}"
        except (LinkLost, TimeoutError) as exc:
            return f"{action} unanswered ({exc.__class__.__name__})"
