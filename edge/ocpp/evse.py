"""One connector of an OCPP charger as the site's EVSE port (:mod:`edge.evse.port`).

An OCPP charger owns its contactor and its transactions: what we show of it is
what it reported (StatusNotification, mapped by :mod:`edge.ocpp.status`), and
UNKNOWN while it is not connected. In this slice the view carries the status
and phase only: no meter reading, draw or session yet (MeterValues and
Start/StopTransaction come next), and ``start``, ``stop`` and
``set_current_limit`` answer NOT_SUPPORTED, saying so, until RemoteStart/
RemoteStopTransaction and SetChargingProfile are built on
:mod:`edge.ocpp.calls.outgoing`.
"""

from __future__ import annotations

from collections.abc import Callable

from edge.config.ocpp import OcppCharger, OcppConnector
from edge.evse.limits import MIN_CURRENT_A
from edge.evse.port import Connector, EvseIdentity, EvseKind, EvsePort, EvseView
from edge.model.commands import CommandOutcome, CommandResult, CommandToken
from edge.ocpp.central import CentralSystem

_NOT_YET = (
    "this EVSE is a connector of OCPP charger {identity}; {what} by OCPP is not "
    "built yet (issue 13)"
)


def ocpp_identity(connector: OcppConnector) -> EvseIdentity:
    """A charger's connector as the site file declares it (one OCPI connector)."""
    return EvseIdentity(
        uid=connector.evse_uid,
        evse_id=None,
        kind=EvseKind.OCPP,
        connectors=(Connector(str(connector.id)),),
        phases=connector.phases,
        voltage_v=float(connector.voltage_v),
        min_current_a=MIN_CURRENT_A,
        max_current_a=float(connector.max_current_a),
    )


class OcppEvse:
    """One connector of a declared OCPP charger, as an EVSE port."""

    def __init__(
        self, central: CentralSystem, charger: OcppCharger, connector: OcppConnector
    ) -> None:
        self._central = central
        self._charger = charger
        self._connector_id = connector.id
        self._identity = ocpp_identity(connector)

    @property
    def identity(self) -> EvseIdentity:
        """Who the EVSE is."""
        return self._identity

    def view(self) -> EvseView:
        """What the charger last reported of this connector."""
        state = self._central.status[self._charger.identity].evse(self._connector_id)
        return EvseView(
            status=state.status,
            phase=state.phase,
            fault=None,
            meter_wh=None,
            draw=None,
            limit_a=self._identity.max_current_a,
            offered_a=None,
            session=None,
        )

    def on_change(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(uid)`` after each change of what this connector shows."""
        uid = self._identity.uid

        def mine(changed: str) -> None:
            if changed == uid:
                callback(uid)

        self._central.on_change(mine)

    def _not_yet(self, what: str) -> CommandResult:
        return CommandResult(
            CommandOutcome.NOT_SUPPORTED,
            _NOT_YET.format(identity=self._charger.identity, what=what),
        )

    async def start(
        self,
        token: CommandToken,
        authorization_reference: str | None,
        timeout_s: float,
    ) -> CommandResult:
        """NOT_SUPPORTED until RemoteStartTransaction is built."""
        return self._not_yet("a remote start")

    async def stop(self, session_id: str | None, timeout_s: float) -> CommandResult:
        """NOT_SUPPORTED until RemoteStopTransaction is built."""
        return self._not_yet("a remote stop")

    async def set_current_limit(
        self, current_a: float | None, timeout_s: float
    ) -> CommandResult:
        """NOT_SUPPORTED until SetChargingProfile is built."""
        return self._not_yet("a current limit")


def ocpp_evses(central: CentralSystem) -> dict[str, EvsePort]:
    """Every declared connector's EVSE port, by EVSE uid."""
    return {
        conn.evse_uid: OcppEvse(central, charger, conn)
        for charger in central.section.charger
        for conn in charger.connector
    }
