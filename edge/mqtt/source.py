"""What the MQTT adapter sees of the site: ONE small interface.

:class:`SiteSource` is everything the adapter reads (the EVSEs' identity and
what each shows now); :class:`ControllerSource` implements it today over the
EVSE controllers and the store. A later EVSE port replaces that adapter here,
and nothing else in ``edge/mqtt`` changes.

What is shown is what the controller believes: the meter's last believed
reading (never a value it rejected), power as unknown once the meter has been
silent for ``device_timeout_s``, and a session's token redacted as in the logs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from edge.config.schema import EvseSection
from edge.evse.controller import EvseController
from edge.evse.states import OcpiEvseStatus
from edge.model.redact import redact_uid
from edge.store import sessions as repo
from edge.store.db import Database, StoreError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvseIdentity:
    """An EVSE as the site file declares it (what does not change while running)."""

    uid: str
    evse_id: str | None
    max_current_a: float
    meter_model: str
    board_model: str


@dataclass(frozen=True)
class SessionShown:
    """The EVSE's active session."""

    id: str
    energy_wh: int | None
    """Energy of this session so far (None until the meter has answered)."""
    start: datetime | None
    """When it started (UTC; None until the store has it)."""
    token: str | None
    """The token uid, redacted (``****00C3``); None for free vend."""


@dataclass(frozen=True)
class EvseShown:
    """What one EVSE shows now."""

    status: OcpiEvseStatus
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

    def evses(self) -> Sequence[EvseIdentity]:
        """Every EVSE of the site, in site-file order."""
        ...

    async def shown(self, evse_uid: str) -> EvseShown:
        """What this EVSE shows now."""
        ...


class ControllerSource:
    """:class:`SiteSource` over the EVSE controllers (and the store, for starts)."""

    def __init__(
        self,
        evses: Iterable[EvseSection],
        controllers: Mapping[str, EvseController],
        db: Database,
    ) -> None:
        self._identities = [
            EvseIdentity(
                e.uid, e.evse_id, float(e.max_current_a), e.meter.model, e.board.model
            )
            for e in evses
            if e.uid in controllers
        ]
        self._controllers = controllers
        self._db = db
        self._starts: dict[str, datetime] = {}

    def evses(self) -> Sequence[EvseIdentity]:
        """Every EVSE of the site, in site-file order."""
        return self._identities

    async def shown(self, evse_uid: str) -> EvseShown:
        """What this EVSE's state machine knows now."""
        ctl = self._controllers[evse_uid]
        s = ctl.state
        fresh = (
            s.meter_seen is not None
            and ctl.clock.monotonic() - s.meter_seen <= ctl.settings.device_timeout_s
        )
        session = None
        if s.session is not None:
            energy = None
            if s.meter_wh is not None:
                energy = max(0, s.meter_wh - s.session.meter_start_wh)
            token = s.session.token_uid
            session = SessionShown(
                s.session.id,
                energy,
                await self._start(s.session.id),
                None if token is None else redact_uid(token),
            )
        limit = float(ctl.settings.max_current_a)
        if s.current_limit_a is not None:
            limit = min(limit, s.current_limit_a)
        return EvseShown(
            status=s.status or OcpiEvseStatus.UNKNOWN,
            phase=s.phase.value,
            fault=None if s.fault is None else s.fault.value,
            power_w=s.power_w if fresh else None,
            energy_wh=s.meter_wh,
            current_limit_a=limit,
            session=session,
        )

    async def _start(self, session_id: str) -> datetime | None:
        start = self._starts.get(session_id)
        if start is not None:
            return start
        try:
            stored = await self._db.run(lambda db: repo.get_session(db, session_id))
        except StoreError as exc:
            log.warning("session %s: start not readable: %s", session_id, exc)
            return None
        if stored is None:
            return None  # not committed yet: asked again next time
        if len(self._starts) > 64:
            self._starts.clear()
        self._starts[session_id] = stored.start
        return stored.start
