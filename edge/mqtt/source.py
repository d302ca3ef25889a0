"""What the MQTT adapter sees of the site: ONE small interface.

:class:`SiteSource` is everything the adapter reads (the EVSEs as Home
Assistant devices and what each shows now); :class:`PortSource` implements it
over the EVSE ports (:mod:`edge.evse.port`), whoever drives each EVSE.

What is shown is what the controller believes: the meter's last believed
reading (never a value it rejected), power as unknown once the meter has been
silent for ``device_timeout_s``, and a session's token redacted as in the logs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from edge.config.ocpp import OcppSection
from edge.config.schema import EvseSection
from edge.evse.port import EvsePort
from edge.evse.states import EvseStatus
from edge.model.redact import redact_uid


@dataclass(frozen=True)
class EvseDevice:
    """An EVSE as a Home Assistant device (what does not change while running)."""

    uid: str
    evse_id: str | None
    max_current_a: float
    meter_model: str
    board_model: str
    model: str | None = None
    """How Home Assistant names its model (None: from the board and meter)."""


@dataclass(frozen=True)
class SessionShown:
    """The EVSE's active session."""

    id: str
    energy_wh: int | None
    """Energy of this session so far (None until the meter has answered)."""
    start: datetime | None
    """When it started (UTC; None if not known)."""
    token: str | None
    """The token uid, redacted (``****00C3``); None for free vend."""


@dataclass(frozen=True)
class EvseShown:
    """What one EVSE shows now."""

    status: EvseStatus
    phase: str
    fault: str | None
    power_w: float | None
    """The meter's power; None while the meter is not answering."""
    energy_wh: int | None
    """The meter's import register (None before its first believed reading)."""
    current_limit_a: float
    """The most the board offers now (a command's limit, or max_current_a)."""
    session: SessionShown | None


class SiteSource(Protocol):
    """The site as the MQTT adapter sees it."""

    def evses(self) -> Sequence[EvseDevice]:
        """Every EVSE of the site, in site-file order."""
        ...

    async def shown(self, evse_uid: str) -> EvseShown:
        """What this EVSE shows now."""
        ...


class PortSource:
    """:class:`SiteSource` over the site's EVSE ports (:mod:`edge.evse.port`)."""

    def __init__(
        self,
        evses: Iterable[EvseSection],
        ports: Mapping[str, EvsePort],
        ocpp: OcppSection | None = None,
    ) -> None:
        """``evses`` the board EVSEs, then each connector of ``ocpp``'s chargers."""
        self._devices = [
            EvseDevice(
                e.uid, e.evse_id, float(e.max_current_a), e.meter.model, e.board.model
            )
            for e in evses
            if e.uid in ports
        ]
        for charger in [] if ocpp is None else ocpp.charger:
            self._devices += [
                EvseDevice(
                    c.evse_uid,
                    c.evse_id,
                    float(c.max_current_a),
                    "charger's",
                    "OCPP",
                    model=f"OCPP charger {charger.identity}, connector {c.id}",
                )
                for c in charger.connector
                if c.evse_uid in ports
            ]
        self._ports = ports

    def evses(self) -> Sequence[EvseDevice]:
        """Every EVSE of the site, in site-file order."""
        return self._devices

    async def shown(self, evse_uid: str) -> EvseShown:
        """What this EVSE's port shows now."""
        v = self._ports[evse_uid].view()
        session = None
        if v.session is not None:
            token = v.session.token_uid
            session = SessionShown(
                v.session.id,
                v.session.energy_wh,
                v.session.start_utc,
                None if token is None else redact_uid(token),
            )
        return EvseShown(
            status=v.status,
            phase=v.phase.value,
            fault=None if v.fault is None else v.fault.value,
            power_w=None if v.draw is None else v.draw.power_w,
            energy_wh=v.meter_wh,
            current_limit_a=v.limit_a,
            session=session,
        )
