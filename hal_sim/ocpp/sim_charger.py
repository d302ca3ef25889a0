"""A simulated OCPP 1.6J charger with EVs at its connectors, for ``edge sim``.

One :class:`SimOcppCharger` per charger the site file declares: it connects to
the controller's central system as that charger (:mod:`hal_sim.ocpp.sim_link`:
reconnecting when the link is lost, boot, heartbeat), and reports every
connector's status. The
EVs of its visits (:mod:`hal_sim.schedule`) plug in (Preparing), show their
card (Authorize, then StartTransaction; or the central system's accepted
RemoteStartTransaction starts it), charge while the transaction runs
(the charger's own contactor: closed once the central system accepted it),
send MeterValues every ``meter_interval_s`` and leave (StopTransaction,
Finishing, Available). Physics are the EV model's (:mod:`hal_sim.ev`); the
connector's meter register counts what the EV took. The truth log gets the
same lines as a Modbus EVSE's visits (plug_in, card, unplug, no_charge).

A central system that refuses or cannot do a step (a CALLERROR, no answer)
leaves the EV uncharged, with the reason in its ``no_charge`` line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from edge.config.ocpp import OcppConnector
from hal_sim.ev import SimEv
from hal_sim.ocpp.charge_point import ChargerState, SimChargePoint
from hal_sim.ocpp.link import RawLink
from hal_sim.ocpp.remote import Received
from hal_sim.ocpp.sim_visits import SimVisited
from hal_sim.ocpp.times import wire
from hal_sim.schedule import Visit


@dataclass
class Outlet:
    """One connector of the simulated charger and the EV plugged into it."""

    connector_id: int
    evse_uid: str
    max_current_a: float
    meter_wh: float
    ev: SimEv | None = None
    visit: Visit | None = None
    transaction_id: int | None = None
    """The central system's transactionId while one runs."""
    id_tag: str | None = None
    """The idTag the running transaction was started for."""
    status: str = "Available"
    refused: str | None = None
    """Why the last attempt to charge failed (for the truth log)."""

    @property
    def closed(self) -> bool:
        """The charger's contactor is closed: a transaction runs."""
        return self.transaction_id is not None and self.ev is not None


class SimOcppCharger(SimVisited[Outlet, SimChargePoint]):
    """One simulated OCPP 1.6J charger of the site file."""

    state: ChargerState
    """What the charger keeps across connections (local list, profiles)."""

    def _plug(self, connector: OcppConnector, meter_wh: float) -> Outlet:
        return Outlet(
            connector.id, connector.evse_uid, float(connector.max_current_a), meter_wh
        )

    def _setup(self) -> None:
        self.state = ChargerState()
        by_id = {o.connector_id: o for o in self.outlets.values()}
        self.state.profiles.has_transaction = lambda c: (
            None if c not in by_id else by_id[c].transaction_id
        )

    def _on_link(self, link: RawLink, answer_s: float) -> SimChargePoint:
        return SimChargePoint(
            self.identity, link, self.clock, response_timeout_s=answer_s,
            state=self.state,
        )  # fmt: skip

    def _limit_a(self, plug: Outlet) -> float | None:
        return self.state.profiles.limit_a(plug.connector_id, self.clock.utcnow())

    # ---- the link -------------------------------------------------------------
    @property
    def cp(self) -> SimChargePoint | None:
        """The charge point while connected and booted."""
        return self.link.cp

    async def _greet(self, cp: SimChargePoint) -> None:
        """Booted: every connector's status, and our ears for remote calls."""
        await cp.status(0, "Available")
        for outlet in self.outlets.values():
            await cp.status(outlet.connector_id, outlet.status)
        cp.state.remote.on_call.append(self._on_remote)

    async def _meter_values(self, cp: SimChargePoint) -> None:
        while True:
            await self.clock.sleep(self.meter_interval_s)
            self.step()
            for outlet in list(self.outlets.values()):
                if outlet.transaction_id is None:
                    continue
                await self.link.send(
                    "MeterValues",
                    connector_id=outlet.connector_id,
                    transaction_id=outlet.transaction_id,
                    meter_value=[
                        {
                            "timestamp": wire(self.clock.utcnow()),
                            "sampled_value": [
                                {
                                    "value": str(int(outlet.meter_wh)),
                                    "measurand": "Energy.Active.Import.Register",
                                    "unit": "Wh",
                                    "context": "Sample.Periodic",
                                }
                            ],
                        }
                    ],
                )

    async def _status(self, outlet: Outlet, status: str) -> None:
        outlet.status = status
        if self.cp is not None:
            await self.link.send(
                "StatusNotification",
                connector_id=outlet.connector_id,
                error_code="NoError",
                status=status,
                timestamp=wire(self.clock.utcnow()),
            )

    # ---- visits ---------------------------------------------------------------
    async def _occupied(self, plug: Outlet) -> None:
        await self._status(plug, "Preparing")

    async def show_card(self, visit: Visit) -> None:
        """The driver shows the card: Authorize, then StartTransaction."""
        outlet = self._card_shown(visit)
        if outlet is None or not visit.card:
            return
        authorized = await self.link.send("Authorize", id_tag=visit.card)
        if isinstance(authorized, str) or authorized["id_tag_info"]["status"] != (
            "Accepted"
        ):
            outlet.refused = (
                authorized
                if isinstance(authorized, str)
                else f"card {authorized['id_tag_info']['status']}"
            )
            return
        await self._start(outlet, visit, visit.card)

    async def _start(self, outlet: Outlet, visit: Visit, id_tag: str) -> None:
        """StartTransaction for ``id_tag``; the contactor closes once accepted."""
        self.step()
        started = await self.link.send(
            "StartTransaction",
            connector_id=outlet.connector_id,
            id_tag=id_tag,
            meter_start=int(outlet.meter_wh),
            timestamp=wire(self.clock.utcnow()),
        )
        if isinstance(started, str):
            outlet.refused = started
            return
        if started["id_tag_info"]["status"] != "Accepted":
            outlet.refused = f"transaction {started['id_tag_info']['status']}"
            # the charger tells the central system it did not charge after all
            await self._stop(outlet, id_tag, "DeAuthorized", started["transaction_id"])
            return
        if outlet.visit is not visit:  # left meanwhile
            await self._stop(
                outlet, id_tag, "EVDisconnected", started["transaction_id"]
            )
            return
        outlet.transaction_id = started["transaction_id"]
        outlet.id_tag = id_tag
        await self._status(outlet, "Charging")

    def _on_remote(self, received: Received) -> None:
        """A real charger acts on an accepted RemoteStart/StopTransaction."""
        if received.status != "Accepted":
            return
        payload = received.payload
        if received.action == "RemoteStartTransaction":
            wanted = payload.get("connector_id")
            outlet = next(
                (
                    o
                    for o in self.outlets.values()
                    if (wanted is None or o.connector_id == wanted)
                    and o.visit is not None
                    and o.transaction_id is None
                ),
                None,
            )
            if outlet is not None and outlet.visit is not None:
                self._spawn(self._start(outlet, outlet.visit, str(payload["id_tag"])))
        elif received.action == "RemoteStopTransaction":
            tx = payload.get("transaction_id")
            for outlet in self.outlets.values():
                if outlet.transaction_id == tx and outlet.transaction_id is not None:
                    self._spawn(self._remote_stop(outlet, outlet.transaction_id))

    async def _remote_stop(self, outlet: Outlet, transaction_id: int) -> None:
        await self._stop(outlet, outlet.id_tag, "Remote", transaction_id)
        await self._status(outlet, "Finishing")

    async def _stop(
        self, outlet: Outlet, id_tag: str | None, reason: str, transaction_id: int
    ) -> None:
        self.step()
        outlet.transaction_id = None
        await self.link.send(
            "StopTransaction",
            transaction_id=transaction_id,
            meter_stop=int(outlet.meter_wh),
            timestamp=wire(self.clock.utcnow()),
            id_tag=id_tag,
            reason=reason,
        )

    async def _end_running(self, plug: Outlet) -> None:
        if plug.transaction_id is not None:
            await self._stop(plug, plug.id_tag, "EVDisconnected", plug.transaction_id)

    async def _freed(self, plug: Outlet) -> None:
        await self._status(plug, "Finishing")
        await self._status(plug, "Available")


def ocpp_visits(visits: list[Visit], chargers: list[SimOcppCharger]) -> list[Visit]:
    """The visits at the chargers' connectors."""
    uids = {uid for c in chargers for uid in c.outlets}
    return [v for v in visits if v.evse_uid in uids]


UrlFor = Callable[[str], str]
"""Charge point identity -> the URL it connects to."""
