"""A simulated OCPP 2.0.1 charging station: the client side of ``ocpp.v201``.

Over a :class:`hal_sim.ocpp.link.RawLink` opened with subprotocol
``ocpp2.0.1``: boot, heartbeat, connector status (StatusNotification or a
NotifyEvent ``AvailabilityState``), Authorize, and a transaction told by
TransactionEvent (Started, Updated with an energy reading, Ended), each
event with the transaction's next ``seqNo``. With ``offline`` set (the link is
down) its TransactionEvents are queued, marked ``offline``, and sent in order
by :meth:`SimChargingStation.replay` once :meth:`SimChargingStation.reconnect`
gave it a new link; a refused one stays queued. A CALLERROR from the central system
is raised as :class:`hal_sim.ocpp.charge_point.CallRefused`.

``run`` answers the central system's calls (:mod:`hal_sim.ocpp.
station_201_answers`) from its :class:`StationState` (device model, local
list, charging profiles), kept across reconnects. :meth:`SimChargingStation.
swipe` is a card shown at an EVSE: Authorize while the link is up, the
station's own decision from its local list while it is down (a transaction
it accepts offline is queued like every event then).
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from ocpp.v201 import call

from hal_sim.ocpp.charge_point import Boot, SimClient
from hal_sim.ocpp.link import RawLink
from hal_sim.ocpp.station_201_answers import StationClient
from hal_sim.ocpp.station_201_state import StationState, TokenAnswer, Transaction
from hal_sim.ocpp.times import central_time, wire

__all__ = ["SimChargingStation", "StationState", "TokenAnswer", "Transaction"]

log = logging.getLogger(__name__)


class SimChargingStation(SimClient[StationState]):
    """One simulated 2.0.1 charging station on an open link."""

    MODEL = "SimStation201"
    calls = call
    client_type = StationClient
    logger = log
    queue: list[object]
    """TransactionEvents waiting for the link (``offline``), oldest first."""

    def _new_state(self) -> StationState:
        return StationState()

    def _setup(self) -> None:
        self.queue = []
        self._event_seq = 0

    def reconnect(self, link: RawLink) -> None:
        """Speak over a new link (call :meth:`run` again, then :meth:`replay`)."""
        super().reconnect(link)
        self.offline = False

    async def replay(self) -> int:
        """Send the queued TransactionEvents in order; how many were sent.

        One the central system refuses stays queued with those after it (a
        station never drops a transaction's events), raised as CallRefused.
        """
        sent = 0
        while self.queue:
            await self._call(self.queue[0])
            self.queue.pop(0)
            sent += 1
        return sent

    async def boot(self, reason: str = "PowerUp", firmware: str = "2.0.0") -> Boot:
        """Send BootNotification."""
        answer = await self._call(
            call.BootNotification(
                charging_station={
                    "model": self.MODEL,
                    "vendor_name": self.VENDOR,
                    "firmware_version": firmware,
                },
                reason=reason,
            )
        )
        return Boot(
            str(answer.status),
            int(answer.interval),
            central_time(str(answer.current_time)),
        )

    async def status(
        self,
        evse_id: int,
        connector_id: int,
        status: str,
        timestamp: datetime | None = None,
    ) -> None:
        """Send StatusNotification for one connector of one EVSE."""
        moment = self._clock.utcnow() if timestamp is None else timestamp
        await self._call(
            call.StatusNotification(
                timestamp=wire(moment, "milliseconds"),
                connector_status=status,
                evse_id=evse_id,
                connector_id=connector_id,
            )
        )

    async def availability_event(
        self, evse_id: int | None, connector_id: int | None, status: str
    ) -> None:
        """Send NotifyEvent: the AvailabilityState of a connector (or EVSE, station)."""
        component: dict[str, Any] = {"name": "Connector" if connector_id else "EVSE"}
        if evse_id is None:
            component = {"name": "ChargingStation"}
        else:
            evse: dict[str, Any] = {"id": evse_id}
            if connector_id is not None:
                evse["connector_id"] = connector_id
            component["evse"] = evse
        await self.notify_event(component, "AvailabilityState", status)

    async def notify_event(
        self, component: dict[str, Any], variable: str, value: str
    ) -> None:
        """Send NotifyEvent with one Delta event of ``component``.``variable``."""
        now = wire(self._clock.utcnow(), "milliseconds")
        self._event_seq += 1
        await self._call(
            call.NotifyEvent(
                generated_at=now,
                seq_no=self._event_seq,
                event_data=[
                    {
                        "event_id": self._event_seq,
                        "timestamp": now,
                        "trigger": "Delta",
                        "actual_value": value,
                        "component": component,
                        "variable": {"name": variable},
                        "event_notification_type": "HardWiredNotification",
                    }
                ],
            )
        )

    async def authorize(self, id_token: str, kind: str = "ISO14443") -> TokenAnswer:
        """Send Authorize; the central system's idTokenInfo."""
        answer = await self._call(
            call.Authorize(id_token={"id_token": id_token, "type": kind})
        )
        info = answer.id_token_info
        group = info.get("group_id_token")
        return TokenAnswer(
            str(info["status"]), None if group is None else str(group["id_token"])
        )

    def authorize_offline(self, id_token: str) -> str:
        """What the station decides for ``id_token`` from its local list alone."""
        return self.state.authorize_offline(id_token)

    async def swipe(
        self, evse_id: int, id_token: str, meter_wh: float, **kw: Any
    ) -> Transaction | None:
        """A card at ``evse_id``: its transaction if authorized (None: refused).

        Online: Authorize, then TransactionEvent Started (the central system
        takes the one decision for both). Offline: the local list decides, and
        the Started event is queued for :meth:`replay`.
        """
        if self.offline:
            status = self.authorize_offline(id_token)
        else:
            status = (await self.authorize(id_token)).status
        if status != "Accepted":
            return None
        return await self.start_transaction(evse_id, id_token, meter_wh, **kw)

    async def transaction_event(
        self,
        tx: Transaction,
        event_type: str,
        trigger: str,
        *,
        energy_wh: float | None = None,
        charging_state: str | None = None,
        id_token: str | None = None,
        stopped_reason: str | None = None,
        offline: bool = False,
        timestamp: datetime | None = None,
        seq_no: int | None = None,
        remote_start_id: int | None = None,
        token_type: str = "ISO14443",  # noqa: S107  (an IdTokenEnumType)
    ) -> dict[str, Any]:
        """Send one TransactionEvent of ``tx`` with its next seqNo; the answer.

        ``seq_no`` sends that number instead (a repeat or a gap; the counter
        is left alone).
        """
        moment = self._clock.utcnow() if timestamp is None else timestamp
        info: dict[str, Any] = {"transaction_id": tx.transaction_id}
        if charging_state is not None:
            info["charging_state"] = charging_state
        if stopped_reason is not None:
            info["stopped_reason"] = stopped_reason
        if remote_start_id is not None:
            info["remote_start_id"] = remote_start_id
        meter = None
        if energy_wh is not None:
            meter = [
                {
                    "timestamp": wire(moment, "milliseconds"),
                    "sampled_value": [
                        {
                            "value": energy_wh,
                            "measurand": "Energy.Active.Import.Register",
                            "unit_of_measure": {"unit": "Wh"},
                        }
                    ],
                }
            ]
        if seq_no is None:
            seq_no = tx.seq_no
            tx.seq_no += 1
        event = call.TransactionEvent(
            event_type=event_type,
            timestamp=wire(moment, "milliseconds"),
            trigger_reason=trigger,
            seq_no=seq_no,
            transaction_info=info,
            meter_value=meter,
            offline=True if offline or self.offline else None,
            evse={"id": tx.evse_id, "connector_id": 1},
            id_token=None
            if id_token is None
            else {"id_token": id_token, "type": token_type},
        )
        if self.offline:
            self.queue.append(event)
            return {"queued": len(self.queue)}
        answer = await self._call(event)
        return {
            "id_token_info": answer.id_token_info,
            "total_cost": answer.total_cost,
        }

    async def start_transaction(
        self,
        evse_id: int,
        id_token: str,
        meter_wh: float,
        trigger: str = "Authorized",
        **kw: Any,
    ) -> Transaction:
        """Begin a transaction on ``evse_id``: TransactionEvent Started."""
        tx = Transaction(str(uuid.uuid4()), evse_id)
        self.state.running[tx.transaction_id] = tx
        await self.transaction_event(
            tx,
            "Started",
            trigger,
            energy_wh=meter_wh,
            charging_state="Charging",
            id_token=id_token,
            **kw,
        )
        return tx

    async def meter(self, tx: Transaction, meter_wh: float, **kw: Any) -> None:
        """An Updated event with the energy register now."""
        await self.transaction_event(
            tx, "Updated", "MeterValuePeriodic", energy_wh=meter_wh, **kw
        )

    async def stop_transaction(
        self, tx: Transaction, meter_wh: float, reason: str = "Local", **kw: Any
    ) -> None:
        """End ``tx``: TransactionEvent Ended with the final reading."""
        await self.transaction_event(
            tx,
            "Ended",
            "StopAuthorized",
            energy_wh=meter_wh,
            charging_state="EVConnected",
            stopped_reason=reason,
            **kw,
        )
        self.state.running.pop(tx.transaction_id, None)
