"""A simulated OCPP 2.0.1 charging station with EVs at its EVSEs, for ``edge sim``.

The 2.0.1 counterpart of :class:`hal_sim.ocpp.sim_charger.SimOcppCharger`: one
:class:`SimOcppStation` per 2.0.1 station the site file declares (one EVSE per
declared connector id, connector 1 on each), on the same link
(:class:`hal_sim.ocpp.sim_link.SimLink`: reconnect, boot, heartbeat), the same
visit timeline and the same EV physics and truth lines
(:class:`hal_sim.ocpp.sim_visits.SimVisited`); what it says is 2.0.1's:

* plug-in: StatusNotification Occupied; leaving: Available;
* the card: Authorize, then TransactionEvent Started (trigger Authorized,
  with the idToken and the EVSE's energy register); the contactor closes once
  the central system accepted it (a refused Started is Ended, DeAuthorized);
* an accepted RequestStartTransaction starts one for its idToken on an EVSE
  with an EV and no transaction (trigger RemoteStart, its remoteStartId); an
  accepted RequestStopTransaction ends it (stoppedReason Remote);
* every ``meter_interval_s``: TransactionEvent Updated (MeterValuePeriodic);
  leaving: Ended (EVDisconnected) with the final register;
* its charging profiles cap what its EVs draw.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from edge.config.ocpp import OcppConnector
from hal_sim.ev import SimEv
from hal_sim.ocpp.charge_point import CallRefused
from hal_sim.ocpp.charge_point_201 import SimChargingStation, StationState
from hal_sim.ocpp.link import LinkLost, RawLink
from hal_sim.ocpp.sim_visits import SimVisited
from hal_sim.ocpp.station_201_state import Transaction
from hal_sim.schedule import Visit


@dataclass
class Evse201:
    """One EVSE of the simulated station and the EV plugged into it."""

    evse_id: int
    evse_uid: str
    max_current_a: float
    meter_wh: float
    ev: SimEv | None = None
    visit: Visit | None = None
    tx: Transaction | None = None
    """The station's transaction while the central system accepted one."""
    refused: str | None = None
    """Why the last attempt to charge failed (for the truth log)."""

    @property
    def closed(self) -> bool:
        """The station's contactor is closed: an accepted transaction runs."""
        return self.tx is not None and self.ev is not None


def _periodic(
    tx: Transaction, meter_wh: float
) -> Callable[[SimChargingStation], Awaitable[None]]:
    """A MeterValuePeriodic Updated event of ``tx`` at ``meter_wh``."""
    return lambda cs: cs.meter(tx, meter_wh)


class SimOcppStation(SimVisited[Evse201, SimChargingStation]):
    """One simulated OCPP 2.0.1 station of the site file."""

    state: StationState
    """What the station keeps across links (list, profiles, transactions)."""

    def _plug(self, connector: OcppConnector, meter_wh: float) -> Evse201:
        return Evse201(
            connector.id, connector.evse_uid, float(connector.max_current_a), meter_wh
        )

    def _setup(self) -> None:
        self.state = StationState()
        self.state.on_request.append(self._on_request)

    def _on_link(self, link: RawLink, answer_s: float) -> SimChargingStation:
        return SimChargingStation(
            self.identity, link, self.clock, response_timeout_s=answer_s,
            state=self.state,
        )  # fmt: skip

    def _limit_a(self, plug: Evse201) -> float | None:
        return self.state.profiles.limit_a(plug.evse_id, self.clock.utcnow())

    # ---- the link -------------------------------------------------------------
    async def _greet(self, cs: SimChargingStation) -> None:
        for evse in self.outlets.values():
            status = "Available" if evse.ev is None else "Occupied"
            await cs.status(evse.evse_id, 1, status)

    async def _meter_values(self, cs: SimChargingStation) -> None:
        while True:
            await self.clock.sleep(self.meter_interval_s)
            self.step()
            for evse in list(self.outlets.values()):
                if evse.tx is not None:
                    await self._event(_periodic(evse.tx, evse.meter_wh))

    async def _event(self, send: Callable[[SimChargingStation], Awaitable[Any]]) -> Any:
        """One call's answer on the booted link, or why there is none (a str)."""
        cs = self.link.cp
        if cs is None:
            return "the station is not connected"
        try:
            answer = await send(cs)
        except CallRefused as exc:
            return f"refused with {exc.code}"
        except (LinkLost, TimeoutError) as exc:
            return f"unanswered ({exc.__class__.__name__})"
        return answer

    async def _status(self, evse: Evse201, status: str) -> None:
        await self._event(lambda cs: cs.status(evse.evse_id, 1, status))

    # ---- visits ---------------------------------------------------------------
    async def _occupied(self, plug: Evse201) -> None:
        await self._status(plug, "Occupied")

    async def show_card(self, visit: Visit) -> None:
        """The driver shows the card: Authorize, then TransactionEvent Started."""
        evse = self._card_shown(visit)
        if evse is None or not visit.card:
            return
        card = visit.card
        authorized = await self._event(lambda cs: cs.authorize(card))
        if isinstance(authorized, str):
            evse.refused = f"Authorize {authorized}"
            return
        if authorized.status != "Accepted":
            evse.refused = f"card {authorized.status}"
            return
        await self._start(evse, visit, card, "Authorized", None, "ISO14443")

    async def _start(
        self,
        evse: Evse201,
        visit: Visit,
        id_token: str,
        trigger: str,
        remote_start_id: int | None,
        token_type: str,
    ) -> None:
        """TransactionEvent Started; the contactor closes once accepted."""
        self.step()
        tx = Transaction(str(uuid.uuid4()), evse.evse_id)
        self.state.running[tx.transaction_id] = tx
        wh = evse.meter_wh
        answer = await self._event(
            lambda cs: cs.transaction_event(
                tx, "Started", trigger, energy_wh=wh, charging_state="Charging",
                id_token=id_token, token_type=token_type,
                remote_start_id=remote_start_id,
            )
        )  # fmt: skip
        info = None if isinstance(answer, str) else answer.get("id_token_info")
        status = None if info is None else info.get("status")
        if status != "Accepted" or evse.visit is not visit:
            evse.refused = (
                f"TransactionEvent {answer}"
                if isinstance(answer, str)
                else f"transaction {status}"
            )
            reason = "EVDisconnected" if evse.visit is not visit else "DeAuthorized"
            await self._end(tx, evse, reason)
            return
        evse.tx = tx

    async def _end(self, tx: Transaction, evse: Evse201, reason: str) -> None:
        self.step()
        if evse.tx is tx:
            evse.tx = None
        wh = evse.meter_wh
        await self._event(lambda cs: cs.stop_transaction(tx, wh, reason=reason))
        self.state.running.pop(tx.transaction_id, None)

    def _on_request(self, action: str, payload: dict[str, Any]) -> None:
        """A station acts on an accepted RequestStart/StopTransaction."""
        if action == "RequestStartTransaction":
            wanted = payload.get("evse_id")
            evse = next(
                (
                    e
                    for e in self.outlets.values()
                    if (wanted is None or e.evse_id == wanted)
                    and e.visit is not None
                    and e.tx is None
                ),
                None,
            )
            if evse is not None and evse.visit is not None:
                token = payload["id_token"]
                self._spawn(
                    self._start(
                        evse, evse.visit, str(token["id_token"]), "RemoteStart",
                        int(payload["remote_start_id"]), str(token["type"]),
                    )
                )  # fmt: skip
        elif action == "RequestStopTransaction":
            for evse in self.outlets.values():
                if evse.tx is not None and (
                    evse.tx.transaction_id == payload["transaction_id"]
                ):
                    self._spawn(self._end(evse.tx, evse, "Remote"))

    async def _end_running(self, plug: Evse201) -> None:
        if plug.tx is not None:
            await self._end(plug.tx, plug, "EVDisconnected")

    async def _freed(self, plug: Evse201) -> None:
        await self._status(plug, "Available")
