"""One connector of an OCPP charger as the site's EVSE port (:mod:`edge.evse.port`).

An OCPP charger owns its contactor and its transactions: what we show of it is
what it reported (StatusNotification, mapped by :mod:`edge.ocpp.status`), and
UNKNOWN while it is not connected; its meter reading, draw and running
session come from its transactions (:mod:`edge.ocpp.ledger`).
``set_current_limit`` is a TxProfile (a transaction runs) or TxDefaultProfile
on the connector, in A per phase (:mod:`edge.ocpp.charging_profiles`),
ACCEPTED or REJECTED as the charger answered.

``start`` is RemoteStartTransaction for the token's uid on this connector,
``stop`` RemoteStopTransaction of the transaction running on it, ``unlock``
UnlockConnector (:mod:`edge.ocpp.calls.v16`). A 2.0.1 station's EVSE gets
RequestStartTransaction (the token as ISO14443 if it is an RFID card, else
Central, with a fresh ``remoteStartId``), RequestStopTransaction of the
station's own transactionId and UnlockConnector of the EVSE's connector 1
(:mod:`edge.ocpp.calls.v201`). Each answers once
the charger did: ACCEPTED when it accepted (OCPP says no more: the transaction
itself begins when the charger tells it), REJECTED when it refused,
TIMEOUT without an answer in time, FAILED when the charger is not connected
or answered with an error; never an exception.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable

from edge.config.ocpp import OcppCharger, OcppConnector
from edge.evse.limits import MIN_CURRENT_A
from edge.evse.port import (
    Connector,
    EvseIdentity,
    EvseKind,
    EvseView,
    RunningSession,
)
from edge.model.commands import CommandOutcome, CommandResult, CommandToken
from edge.ocpp.calls import v16, v201
from edge.ocpp.calls.outgoing import BadAnswer, CallFailed, NotConnected, TimedOut
from edge.ocpp.calls.profiles import ProfileStatus
from edge.ocpp.central import CentralSystem
from edge.ocpp.charging_profiles import ChargingProfiles
from edge.store.ocpp201_transactions import station_transaction_id

TransactionOf = Callable[[str, int], int | None]
"""(charger identity, connector id) -> the OCPP transactionId running there."""


def command_result(identity: str, action: str, reply: object) -> CommandResult:
    """What a typed call's reply means as a command's result."""
    if isinstance(reply, v201.StartAnswer):
        reply = reply.status
    match reply:
        case (
            v16.RemoteStartStopStatus.ACCEPTED
            | v201.RequestStartStopStatus.ACCEPTED
            | v16.UnlockStatus.UNLOCKED
            | v201.UnlockStatus.UNLOCKED
        ):
            return CommandResult(CommandOutcome.ACCEPTED)
        case v16.UnlockStatus.NOT_SUPPORTED | v201.UnlockStatus.UNKNOWN_CONNECTOR:
            why = f"charger {identity} has no cable lock on this connector"
            return CommandResult(CommandOutcome.NOT_SUPPORTED, why)
        case v201.UnlockStatus.ONGOING_AUTHORIZED_TRANSACTION:
            why = f"charger {identity} keeps the cable locked: a transaction runs"
            return CommandResult(CommandOutcome.REJECTED, why)
        case v16.UnlockStatus.UNLOCK_FAILED | v201.UnlockStatus.UNLOCK_FAILED:
            why = f"charger {identity} could not release the cable"
            return CommandResult(CommandOutcome.FAILED, why)
        case v16.RemoteStartStopStatus.REJECTED | v201.RequestStartStopStatus.REJECTED:
            why = f"charger {identity} rejected {action}"
            return CommandResult(CommandOutcome.REJECTED, why)
        case TimedOut(timeout_s=limit):
            why = f"charger {identity} did not answer {action} within {limit:g} s"
            return CommandResult(CommandOutcome.TIMEOUT, why)
        case NotConnected():
            why = f"charger {identity} is not connected"
            return CommandResult(CommandOutcome.FAILED, why)
        case CallFailed(code=code, description=text):
            outcome = (
                CommandOutcome.NOT_SUPPORTED
                if code in ("NotImplemented", "NotSupported")
                else CommandOutcome.FAILED
            )
            why = f"charger {identity} answered {action} with {code}: {text}"
            return CommandResult(outcome, why[:200])
        case BadAnswer(violation=v):
            why = f"charger {identity}'s answer to {action} breaks its schema: "
            return CommandResult(CommandOutcome.FAILED, (why + v.reason)[:200])
        case v16.NotSendable(reason=reason):
            return CommandResult(CommandOutcome.REJECTED, reason)
    return CommandResult(CommandOutcome.FAILED, f"{action}: unexpected answer")


_NOT_YET = (
    "this EVSE is a connector of OCPP charger {identity}; {what} by OCPP is not "
    "built yet (issue 13)"
)


def ocpp_identity(connector: OcppConnector) -> EvseIdentity:
    """A charger's connector as the site file declares it (one OCPI connector)."""
    return EvseIdentity(
        uid=connector.evse_uid,
        evse_id=connector.evse_id,
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
        self,
        central: CentralSystem,
        charger: OcppCharger,
        connector: OcppConnector,
        transaction_of: TransactionOf | None = None,
        profiles: ChargingProfiles | None = None,
        remote_start_ids: Callable[[], int] | None = None,
    ) -> None:
        self._central = central
        self._remote_start_ids = remote_start_ids or _remote_start_ids(central)
        """The next ``remoteStartId`` (2.0.1), shared by a site's connectors."""
        self._charger = charger
        self._connector_id = connector.id
        self._identity = ocpp_identity(connector)
        self._transaction_of = transaction_of or central.transaction_of
        """The transactionId running on a connector (default: the central's)."""
        self._profiles = profiles

    @property
    def identity(self) -> EvseIdentity:
        """Who the EVSE is."""
        return self._identity

    def view(self) -> EvseView:
        """What the charger last reported of this connector.

        ``meter_wh`` is its register's last believed reading, ``draw`` the power
        and phase currents of its last MeterValues (taken within a minute of
        their time), ``session`` the transaction running on it.
        """
        identity = self._charger.identity
        state = self._central.status[identity].evse(self._connector_id)
        ledger = self._central.ledgers[identity]
        meter = ledger.meters.get(self._connector_id)
        running = ledger.running_on(self._connector_id)
        session = None
        if running is not None:
            session = RunningSession(
                id=running.session_id,
                token_uid=running.id_tag,
                group_id=running.group_id,
                start_utc=running.start,
                meter_start_wh=running.meter_start_wh,
                energy_wh=running.meter_wh - running.meter_start_wh,
            )
        return EvseView(
            status=state.status,
            phase=state.phase,
            fault=None,
            meter_wh=None if meter is None else meter.meter_wh,
            draw=None if meter is None else meter.draw,
            limit_a=self._identity.max_current_a,
            offered_a=None,
            session=session,
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

    def calls(self) -> v16.V16Calls | None:
        """The typed calls to this connector's charger (None: not connected)."""
        connection = self._central.connections.get(self._charger.identity)
        return None if connection is None else v16.V16Calls(connection.calls)

    async def _ask(
        self,
        action: str,
        timeout_s: float,
        send: Callable[[v16.V16Calls], Awaitable[object]],
    ) -> CommandResult:
        if self._charger.protocol != "ocpp1.6":  # its calls: edge.ocpp.calls.v201
            return self._not_yet(f"{action} (OCPP 2.0.1) through the EVSE port")
        calls = self.calls()
        reply = NotConnected() if calls is None else await send(calls)
        return command_result(self._charger.identity, action, reply)

    async def _ask201(
        self,
        action: str,
        send: Callable[[v201.V201Calls], Awaitable[object]],
    ) -> CommandResult:
        connection = self._central.connections.get(self._charger.identity)
        reply = (
            NotConnected()
            if connection is None
            else await send(v201.V201Calls(connection.calls))
        )
        return command_result(self._charger.identity, action, reply)

    async def start(
        self,
        token: CommandToken,
        authorization_reference: str | None,
        timeout_s: float,
    ) -> CommandResult:
        """RemoteStartTransaction for ``token``'s uid on this connector."""
        connector = self._connector_id
        if self._charger.protocol == "ocpp2.0.1":
            kind = (
                v201.IdTokenKind.ISO14443
                if token.type == "RFID"
                else v201.IdTokenKind.CENTRAL
            )
            remote_id = self._remote_start_ids()
            return await self._ask201(
                "RequestStartTransaction",
                lambda calls: calls.request_start(
                    token.uid, kind, remote_id, connector, timeout_s
                ),
            )
        return await self._ask(
            "RemoteStartTransaction",
            timeout_s,
            lambda calls: calls.remote_start(token.uid, connector, timeout_s),
        )

    async def stop(self, session_id: str | None, timeout_s: float) -> CommandResult:
        """RemoteStopTransaction of the transaction running on this connector."""
        transaction = self._transaction_of(self._charger.identity, self._connector_id)
        if transaction is None:
            return CommandResult(
                CommandOutcome.FAILED,
                f"no transaction of charger {self._charger.identity} is running on "
                f"connector {self._connector_id}",
            )
        if self._charger.protocol == "ocpp2.0.1":
            return await self._stop201(transaction, timeout_s)
        return await self._ask(
            "RemoteStopTransaction",
            timeout_s,
            lambda calls: calls.remote_stop(transaction, timeout_s),
        )

    async def _stop201(self, transaction: int, timeout_s: float) -> CommandResult:
        identity = self._charger.identity
        station_tx = await self._central.site.db.run(
            lambda db: station_transaction_id(db, identity, transaction)
        )
        if station_tx is None:
            return CommandResult(
                CommandOutcome.FAILED,
                f"station {identity} did not say its id of transaction {transaction}",
            )
        return await self._ask201(
            "RequestStopTransaction",
            lambda calls: calls.request_stop(station_tx, timeout_s),
        )

    async def unlock(self, timeout_s: float) -> CommandResult:
        """UnlockConnector: release this connector's cable.

        A 2.0.1 station's: connector 1 of this EVSE (the site declares one
        connector per EVSE).
        """
        connector = self._connector_id
        if self._charger.protocol == "ocpp2.0.1":
            return await self._ask201(
                "UnlockConnector", lambda calls: calls.unlock(connector, 1, timeout_s)
            )
        return await self._ask(
            "UnlockConnector",
            timeout_s,
            lambda calls: calls.unlock_connector(connector, timeout_s),
        )

    async def set_current_limit(
        self, current_a: float | None, timeout_s: float
    ) -> CommandResult:
        """A charging profile at ``current_a`` per phase (None: ``max_current_a``).

        REJECTED outside ``min_current_a`` .. ``max_current_a`` (nothing sent)
        or when the charger rejected the profile.
        """
        me = self._identity
        if self._profiles is None:
            return self._not_yet("a current limit")
        limit = me.max_current_a if current_a is None else current_a
        if not me.min_current_a <= limit <= me.max_current_a:
            return CommandResult(
                CommandOutcome.REJECTED,
                f"{limit:g} A is outside {me.min_current_a:g} .. "
                f"{me.max_current_a:g} A for EVSE {me.uid}",
            )
        identity = self._charger.identity
        reply = await self._profiles.set_limit(
            identity, self._connector_id, limit, timeout_s
        )
        match reply:
            case ProfileStatus.ACCEPTED:
                return CommandResult(CommandOutcome.ACCEPTED)
            case ProfileStatus.REJECTED:
                why = f"charger {identity} rejected the charging profile"
                return CommandResult(CommandOutcome.REJECTED, why)
            case ProfileStatus.NOT_SUPPORTED:
                why = f"charger {identity} does not support charging profiles"
                return CommandResult(CommandOutcome.NOT_SUPPORTED, why)
        return command_result(identity, "SetChargingProfile", reply)


def ocpp_evses(
    central: CentralSystem,
    transaction_of: TransactionOf | None = None,
    profiles: ChargingProfiles | None = None,
) -> dict[str, OcppEvse]:
    """Every declared connector's EVSE port, by EVSE uid.

    ``transaction_of`` defaults to the central system's own ledger; without
    ``profiles`` (the service's) ``set_current_limit`` is NOT_SUPPORTED.
    """
    running = transaction_of or central.transaction_of
    ids = _remote_start_ids(central)
    return {
        conn.evse_uid: OcppEvse(central, charger, conn, running, profiles, ids)
        for charger in central.section.charger
        for conn in charger.connector
    }


def _remote_start_ids(central: CentralSystem) -> Callable[[], int]:
    """``remoteStartId``s counting up from the site's time in seconds.

    So that a restarted controller does not give a station an id it gave
    before (a 32-bit integer until 2038; the id only relates the station's
    TransactionEvent to our request).
    """
    counter = itertools.count(int(central.clock.utcnow().timestamp()))
    return lambda: next(counter)
