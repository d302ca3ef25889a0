"""BootNotification's answer and Heartbeat's, the same in 1.6J and 2.0.1.

A declared charger's boot is Accepted with our heartbeat interval (an
undeclared one never got past the handshake), and both answers carry our
time. Each version reads its own BootNotification payload into its own record
(:class:`~edge.ocpp.handlers.v16.BootInfo`,
:class:`~edge.ocpp.handlers.v201.StationInfo`); what it says is logged here.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from edge.model.clock import Clock
from edge.ocpp.times import wire_time

log = logging.getLogger(__name__)


class Booted(Protocol):
    """What a charger says of itself at boot, in either version."""

    @property
    def vendor(self) -> str: ...  # noqa: D102
    @property
    def model(self) -> str: ...  # noqa: D102
    @property
    def firmware_version(self) -> str | None: ...  # noqa: D102


class Greeting:
    """Our answers to one charger's BootNotification and Heartbeat."""

    def __init__(self, identity: str, clock: Clock, heartbeat_interval_s: int) -> None:
        self._identity = identity
        self._clock = clock
        self.interval_s = heartbeat_interval_s

    def accept(self, boot: Booted, reason: str | None = None) -> dict[str, Any]:
        """Log the boot (with 2.0.1's reason) and answer it Accepted."""
        log.info(
            "OCPP %s booted%s: %s %s, firmware %s; Accepted, heartbeat every %d s",
            self._identity,
            "" if reason is None else f" ({reason})",
            boot.vendor,
            boot.model,
            boot.firmware_version or "?",
            self.interval_s,
        )
        return {
            "status": "Accepted",
            "currentTime": wire_time(self._clock.utcnow()),
            "interval": self.interval_s,
        }

    def heartbeat(self, _: dict[str, Any]) -> dict[str, Any]:
        """Heartbeat's answer: our time."""
        return {"currentTime": wire_time(self._clock.utcnow())}
