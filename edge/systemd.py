"""Tell systemd how the controller is doing: READY=1, WATCHDOG=1, STATUS=.

The protocol (sd_notify(3)) is one datagram of ``KEY=value`` lines to the
socket named by ``$NOTIFY_SOCKET`` (a path, or ``@name`` for the abstract
namespace). Without that variable (a shell, a test, ``edge sim``) every call
does nothing. Written with the stdlib socket module: it is a few lines, and the
PyPI packages for it (sdnotify, systemd-python) either do just this or need
libsystemd headers to build.

:func:`supervise` runs beside the site: it says READY=1 once the site is READY
(:attr:`edge.app.Site.ready`), and pings WATCHDOG=1 every half of
``$WATCHDOG_USEC`` only while the controller's loops are alive: the site task
has not ended and every bus has finished a Modbus transaction within
``stall_s``. A bus stuck in one await, or an event loop blocked by a call that
never returns, stops the pings, and systemd restarts the service
(``Restart=always``); the board watchdogs have already dropped the boards to
their safe current by then.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports the controller only for the commands that run it
    from drivers.modbus.scheduler import BusScheduler
    from edge.app import Site
    from edge.model.clock import Clock

log = logging.getLogger(__name__)

STALL_S = 90.0
"""A bus that has not finished a transaction for this long (wall seconds) is stuck.

Longer than the longest back-off of a silent device (30 s of site time, a few
seconds per attempt on top), so a bus whose every device is unplugged still
counts as alive: its loop keeps trying.
"""


class Notifier:
    """Datagrams to systemd's notify socket; a no-op when there is none."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.address: str | None = env.get("NOTIFY_SOCKET") or None
        self.watchdog_s: float | None = _watchdog_s(env)

    @property
    def enabled(self) -> bool:
        """Whether a service manager listens."""
        return self.address is not None

    def send(self, **fields: str) -> bool:
        """Send ``KEY=value`` lines (``READY="1"``); False if not delivered."""
        if self.address is None:
            return False
        text = "\n".join(f"{key}={value}" for key, value in fields.items())
        address = self.address
        if address.startswith("@"):  # the abstract namespace
            address = "\0" + address[1:]
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.connect(address)
                sock.sendall(text.encode())
        except OSError as exc:
            log.warning("cannot notify systemd at %s: %s", self.address, exc)
            return False
        return True


def _watchdog_s(env: Mapping[str, str]) -> float | None:
    """The watchdog period systemd asked for, if it is meant for this process."""
    usec = env.get("WATCHDOG_USEC")
    pid = env.get("WATCHDOG_PID")
    if not usec or (pid and pid != str(os.getpid())):
        return None
    try:
        value = int(usec)
    except ValueError:
        log.warning("ignoring WATCHDOG_USEC=%r: not a number of microseconds", usec)
        return None
    return value / 1e6 if value > 0 else None


@dataclass
class BusLiveness:
    """Whether each bus loop still finishes transactions (wall-clock seconds)."""

    now: Callable[[], float]
    stall_s: float = STALL_S
    _seen: dict[str, tuple[int, float]] = field(default_factory=dict)

    def stuck(self, buses: Mapping[str, BusScheduler]) -> list[str]:
        """The buses whose transaction count has not moved for ``stall_s``."""
        now = self.now()
        stuck = []
        for name, sched in buses.items():
            if not sched.pollers:
                continue  # nothing to poll: nothing to show
            count = sum(p.counters.transactions for p in sched.pollers)
            last = self._seen.get(name)
            if last is None or last[0] != count:
                self._seen[name] = (count, now)
            elif now - last[1] > self.stall_s:
                stuck.append(name)
        return stuck


async def supervise(
    site: Site, alive: Callable[[], bool], clock: Clock, notifier: Notifier
) -> None:
    """READY=1 once the site is READY; WATCHDOG=1 while its loops are alive.

    ``alive`` says whether the site's task still runs. Runs until cancelled;
    returns at once when no service manager listens.
    """
    if not notifier.enabled:
        return
    async with asyncio.TaskGroup() as tg:
        tg.create_task(_say_ready(site, notifier), name="systemd ready")
        if notifier.watchdog_s is not None:
            liveness = BusLiveness(lambda: clock.to_wall(clock.monotonic()))
            tg.create_task(
                _watchdog(site, alive, clock, notifier, liveness, notifier.watchdog_s),
                name="systemd watchdog",
            )


async def _say_ready(site: Site, notifier: Notifier) -> None:
    if not site.ready.is_ready:
        notifier.send(STATUS="starting: waiting for " + ", ".join(site.ready.pending))
    await site.ready.wait()
    notifier.send(READY="1", STATUS="READY")


async def _watchdog(
    site: Site,
    alive: Callable[[], bool],
    clock: Clock,
    notifier: Notifier,
    liveness: BusLiveness,
    period_s: float,
) -> None:
    """Ping every half period, only while the site task runs and no bus is stuck."""
    while True:
        stuck = liveness.stuck(site.schedulers)
        if not alive():
            log.error("site task ended: no more watchdog pings")
        elif stuck:
            log.error(
                "bus %s finished no transaction for %.0f s: no watchdog ping "
                "(systemd restarts the controller)",
                ", ".join(stuck),
                liveness.stall_s,
            )
        else:
            notifier.send(WATCHDOG="1")
        await clock.sleep(clock.from_wall(period_s / 2))
