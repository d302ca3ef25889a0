"""Charging profiles: each OCPP charger held at the current we allow, failing safe.

One worker per connection (:meth:`ChargingProfiles.serve`), once the
charger is ready (after every boot and every reconnect: a charger may have
dropped its profiles, as go-eCharger #217 does), installs (a 2.0.1 station
the same, in 2.0.1's words: :mod:`edge.ocpp.calls.profiles_v201`, the
ChargePointMaxProfiles as ChargingStationMaxProfiles on EVSE 0, a TxProfile
naming the station's own transactionId):

* **the failsafe**: a ChargePointMaxProfile at stack level 0 (id
  :data:`FAILSAFE_ID`) without an end, at the charger's ``failsafe_current_a``
  per phase: what the whole charger may draw once nothing above it is valid;
* **the lease**: a ChargePointMaxProfile at stack level 1 (id :data:`LEASE_ID`)
  at the sum of the connectors' ``max_current_a``, valid for ``[ocpp]
  profile_lease_s`` and renewed every third of it. While we run, it lifts the
  charger above its failsafe; when we die (or the link does), it lapses within
  ``profile_lease_s`` and the failsafe applies again. A charger that refuses
  it (or has no SmartCharging) is left alone, with one warning;
* **each connector's limit**, the last :meth:`ChargingProfiles.set_limit`
  asked for (load management, issue 14): a TxProfile (stack level 1) for the
  transaction running on the connector, or a TxDefaultProfile on the
  connector when none runs. A charger that rejects the TxProfile (or a 2.0.1
  station that never named its id of the transaction) has lost the
  transaction we think runs, as a station does that rebooted mid-charge
  (OCPP 2.0.1 K01.FR.09: no transaction on the EVSE; K01.FR.33: an unknown
  transactionId): the connector is then held by a TxDefaultProfile at the
  same limit, which applies to whatever it charges without a TxProfile, a
  transaction it starts again included (logged once per transaction).

The order after a boot is failsafe, the connectors' limits, then the lease:
a charger that lost its profiles is at its failsafe (or lower) until every
limit is back, and never above a connector's limit once the lease lifts it.

Why the lease sits on the ChargePointMaxProfile and not on the TxProfile: a
charger obeys the minimum of its ChargePointMaxProfile and its Tx(Default)
profile (OCPP 1.6, 3.13.2), so a permanent maximum at the failsafe level would
cap every TxProfile at the failsafe too; the lease above it is what a living
controller renews. Every limit is in A per phase, with one decimal.

**Checked**: once the lease is in, every limit the charger accepted is read
back, and a charger that allows more than we asked is **held** at a lower
lease until the controller restarts (:mod:`edge.ocpp.profile_check`; the
failsafe and the lease, held or not: :mod:`edge.ocpp.max_profiles`).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass

from edge.config.ocpp import OcppCharger, OcppSection
from edge.model.clock import Clock
from edge.ocpp.calls.outgoing import NotConnected, TimedOut
from edge.ocpp.calls.profiles import (
    CurrentProfile,
    ProfileCalls,
    ProfilePurpose,
    ProfileSetter,
    ProfileStatus,
    shown,
)
from edge.ocpp.calls.profiles_v201 import V201ProfileCalls
from edge.ocpp.calls.v16 import Failure, NotSendable
from edge.ocpp.central import CentralSystem
from edge.ocpp.connection import ChargerConnection
from edge.ocpp.max_profiles import MaxProfiles
from edge.ocpp.profile_check import ProfileCheck
from edge.store.ocpp201_transactions import station_transaction_id

log = logging.getLogger(__name__)

TX_DEFAULT_ID_BASE = 100
"""A connector's TxDefaultProfile is id 100 + connector id; its TxProfile 200 +.

(The failsafe and the lease, ids 1 and 2: :mod:`edge.ocpp.max_profiles`.)"""
TX_ID_BASE = 200


@dataclass(frozen=True)
class Installed:
    """What one install of a charger's profiles got back (for logs and tests)."""

    failsafe: ProfileStatus | Failure
    lease: ProfileStatus | Failure


class ChargingProfiles:
    """The charging profiles of every declared charger."""

    def __init__(
        self, central: CentralSystem, clock: Clock, section: OcppSection
    ) -> None:
        self._central = central
        self._clock = clock
        self._section = section
        self._chargers = {c.identity: c for c in section.charger}
        self._max = MaxProfiles(clock, section.profile_lease_s)
        self._checks = ProfileCheck(self._max)
        self._lost: dict[tuple[str, int], int] = {}
        """(identity, connector id) -> our transaction its charger did not know."""
        self._locks: defaultdict[tuple[str, int], asyncio.Lock] = defaultdict(
            asyncio.Lock
        )
        self._leased: set[str] = set()
        """Chargers whose lease is in on their current connection."""
        self.installs: dict[str, Installed] = {}

    @property
    def held(self) -> set[str]:
        """Chargers seen to allow more than a limit: leased at their hold."""
        return self._max.held

    def _timeout(self) -> float:
        return self._section.call_timeout_s

    async def serve(self, connection: ChargerConnection) -> None:
        """Install ``connection``'s profiles, then keep its lease renewed."""
        await connection.ready.wait()
        charger = self._chargers[connection.identity]
        calls = self._setter(connection)
        self._leased.discard(charger.identity)
        failsafe = await calls.set_profile(
            0, self._max.failsafe(charger), self._timeout()
        )
        limits = {
            c.id: self._max.wanted[(charger.identity, c.id)]
            for c in charger.connector
            if (charger.identity, c.id) in self._max.wanted
        }
        for connector_id, wanted in limits.items():  # before the lease lifts it
            await self._connector(charger, connector_id, wanted, self._timeout())
        lease = await calls.set_profile(0, self._max.lease(charger), self._timeout())
        self.installs[charger.identity] = Installed(failsafe, lease)
        self._log_install(charger, failsafe, lease)
        if lease is not ProfileStatus.ACCEPTED and not isinstance(lease, TimedOut):
            return  # it takes no profiles (refused, or no SmartCharging): no renewals
        self._leased.add(charger.identity)
        for connector_id, wanted in limits.items():
            await self._checks.check(
                calls, charger, connector_id, wanted, self._timeout()
            )
        every = self._section.profile_lease_s / 3
        while True:
            await self._clock.sleep(every)
            renewed = await calls.set_profile(
                0, self._max.lease(charger), self._timeout()
            )
            if renewed is not ProfileStatus.ACCEPTED:
                log.warning(
                    "OCPP %s: renewing the charging profile lease got %s; the "
                    "charger falls back to %.1f A within %d s unless the next works",
                    charger.identity,
                    shown(renewed),
                    charger.failsafe_current_a,
                    self._section.profile_lease_s,
                )

    def _setter(self, connection: ChargerConnection) -> ProfileSetter:
        if connection.protocol == "ocpp1.6":
            return ProfileCalls(connection.calls)
        identity, db = connection.identity, self._central.site.db

        async def station_tx(tx: int) -> str | None:
            return await db.run(lambda d: station_transaction_id(d, identity, tx))

        return V201ProfileCalls(connection.calls, station_tx)

    def _log_install(
        self,
        charger: OcppCharger,
        failsafe: ProfileStatus | Failure,
        lease: ProfileStatus | Failure,
    ) -> None:
        if failsafe is ProfileStatus.ACCEPTED and lease is ProfileStatus.ACCEPTED:
            log.info(
                "OCPP %s: charging profiles installed (failsafe %.1f A, lease %d s)",
                charger.identity,
                charger.failsafe_current_a,
                self._section.profile_lease_s,
            )
            return
        log.warning(
            "OCPP %s: charging profiles not installed (failsafe: %s, lease: %s); "
            "the charger is not held at a failsafe current if we go silent",
            charger.identity,
            shown(failsafe),
            shown(lease),
        )

    async def set_limit(
        self, identity: str, connector_id: int, current_a: float, timeout_s: float
    ) -> ProfileStatus | Failure:
        """Hold ``connector_id`` of charger ``identity`` at ``current_a`` per phase.

        Remembered (and reinstalled after a reconnect) whatever the answer.
        """
        self._max.wanted[(identity, connector_id)] = current_a
        return await self._connector(
            self._chargers[identity], connector_id, current_a, timeout_s
        )

    async def _connector(
        self,
        charger: OcppCharger,
        connector_id: int,
        current_a: float,
        timeout_s: float,
    ) -> ProfileStatus | Failure:
        """One limit installed and checked, one at a time per connector.

        So that a check reads back the limit it installed, not a later one.
        """
        deadline = self._clock.monotonic() + timeout_s
        async with self._locks[(charger.identity, connector_id)]:
            left = deadline - self._clock.monotonic()
            if left <= 0:
                return TimedOut(timeout_s, sent=False)
            return await self._limit(charger, connector_id, current_a, deadline)

    async def _limit(
        self,
        charger: OcppCharger,
        connector_id: int,
        current_a: float,
        deadline: float,
    ) -> ProfileStatus | Failure:
        connection = self._central.connections.get(charger.identity)
        if connection is None:
            return NotConnected()
        setter = self._setter(connection)
        transaction = self._central.transaction_of(charger.identity, connector_id)
        timeout_s = deadline - self._clock.monotonic()
        if transaction is not None:
            tx = CurrentProfile(
                TX_ID_BASE + connector_id,
                1,
                ProfilePurpose.TX,
                current_a,
                self._clock.utcnow(),
                transaction_id=transaction,
            )
            status = await setter.set_profile(connector_id, tx, timeout_s)
            self._log_limit(charger, connector_id, tx, status)
            if status is ProfileStatus.ACCEPTED:
                return await self._checked(setter, charger, connector_id, tx, deadline)
            if status is not ProfileStatus.REJECTED and not isinstance(
                status, NotSendable
            ):
                return status
            self._forgotten(charger, connector_id, transaction, status)
        default = CurrentProfile(
            TX_DEFAULT_ID_BASE + connector_id,
            1,
            ProfilePurpose.TX_DEFAULT,
            current_a,
            self._clock.utcnow(),
        )
        left = max(deadline - self._clock.monotonic(), 0.0)
        status = await setter.set_profile(
            connector_id, default, timeout_s if transaction is None else left
        )
        self._log_limit(charger, connector_id, default, status)
        if status is not ProfileStatus.ACCEPTED:
            return status
        return await self._checked(setter, charger, connector_id, default, deadline)

    async def _checked(
        self,
        setter: ProfileSetter,
        charger: OcppCharger,
        connector_id: int,
        profile: CurrentProfile,
        deadline: float,
    ) -> ProfileStatus | Failure:
        """An accepted limit, checked once the lease is in (else at its install).

        Held, the lease follows the limit down at once (a renewal takes it up).
        """
        if charger.identity not in self._leased:
            return ProfileStatus.ACCEPTED
        left = deadline - self._clock.monotonic()
        if charger.identity in self._max.held:
            await setter.set_profile(0, self._max.lease(charger), max(left, 1.0))
        elif left > 0:
            await self._checks.check(
                setter, charger, connector_id, profile.limit_a, left
            )
        return ProfileStatus.ACCEPTED

    def _forgotten(
        self,
        charger: OcppCharger,
        connector_id: int,
        transaction: int,
        status: ProfileStatus | Failure,
    ) -> None:
        """The TxProfile of ``transaction`` was refused: said once per transaction."""
        key = (charger.identity, connector_id)
        if self._lost.get(key) == transaction:
            return
        self._lost[key] = transaction
        log.warning(
            "OCPP %s connector %d: a TxProfile of transaction %d got %s: the "
            "charger does not know it (rebooted mid-charge?); holding the "
            "connector by a TxDefaultProfile at the same limit instead",
            charger.identity,
            connector_id,
            transaction,
            shown(status),
        )

    def _log_limit(
        self,
        charger: OcppCharger,
        connector_id: int,
        profile: CurrentProfile,
        status: ProfileStatus | Failure,
    ) -> None:
        log.info(
            "OCPP %s connector %d: %s at %.1f A: %s",
            charger.identity,
            connector_id,
            profile.purpose,
            profile.limit_a,
            shown(status),
        )
