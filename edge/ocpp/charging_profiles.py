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
back with GetCompositeSchedule (K08 in 2.0.1; 1.6's too). A charger that says
it allows more than we asked (it accepted a profile and does not apply it) is
logged once and **held** from then on until the controller restarts: its
lease, the only profile it is seen to obey above its failsafe, is renewed at
the least of its failsafe and the sum of its connectors' limits. Why not 0 A:
a 0 A TxProfile goes through the very profiles it ignores, and a 0 A lease
stops every car on it for a fault of its firmware; its failsafe is the current
the installer declared safe for it when we cannot control it, and the sum of
its limits keeps it within what the site gave it. A composite a charger
cannot give (Rejected, no answer, not in A) is not a deviation; one that
answers NotImplemented is not asked again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from edge.config.ocpp import OcppCharger, OcppSection
from edge.model.clock import Clock
from edge.ocpp.calls.outgoing import CallFailed, NotConnected, TimedOut
from edge.ocpp.calls.profiles import (
    CompositeSchedule,
    CurrentProfile,
    ProfileCalls,
    ProfilePurpose,
    ProfileStatus,
)
from edge.ocpp.calls.profiles_v201 import V201ProfileCalls
from edge.ocpp.calls.v16 import Failure, NotSendable
from edge.ocpp.central import CentralSystem
from edge.ocpp.connection import ChargerConnection
from edge.store.ocpp201_transactions import station_transaction_id

log = logging.getLogger(__name__)

FAILSAFE_ID = 1
LEASE_ID = 2
TX_DEFAULT_ID_BASE = 100
"""A connector's TxDefaultProfile is id 100 + connector id; its TxProfile 200 +."""
TX_ID_BASE = 200
CHECK_S = 60
"""The span of the composite schedule a charger is asked for after a limit."""
LEEWAY_A = 0.05
"""What a composite may exceed a limit by (rounding) before it is a deviation."""


class ProfileSetter(Protocol):
    """SetChargingProfile to one connected charger, in its protocol's words."""

    async def set_profile(
        self, connector_id: int, profile: CurrentProfile, timeout_s: float
    ) -> ProfileStatus | Failure:
        """Install ``profile`` on ``connector_id`` (0: the whole charger)."""
        ...

    async def composite_schedule(
        self, connector_id: int, duration_s: int, timeout_s: float
    ) -> CompositeSchedule | Failure | None:
        """What the charger will allow on ``connector_id`` (None: Rejected)."""
        ...


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
        self._wanted: dict[tuple[str, int], float] = {}
        """(identity, connector id) -> the limit last asked for, per phase."""
        self._lost: dict[tuple[str, int], int] = {}
        """(identity, connector id) -> our transaction its charger did not know."""
        self._locks: defaultdict[tuple[str, int], asyncio.Lock] = defaultdict(
            asyncio.Lock
        )
        self._leased: set[str] = set()
        """Chargers whose lease is in on their current connection."""
        self._uncheckable: set[str] = set()
        """Chargers that answered GetCompositeSchedule NotImplemented."""
        self.held: set[str] = set()
        """Chargers seen to allow more than a limit: leased at their hold."""
        self.installs: dict[str, Installed] = {}

    def _timeout(self) -> float:
        return self._section.call_timeout_s

    async def serve(self, connection: ChargerConnection) -> None:
        """Install ``connection``'s profiles, then keep its lease renewed."""
        await connection.ready.wait()
        charger = self._chargers[connection.identity]
        calls = self._setter(connection)
        self._leased.discard(charger.identity)
        failsafe = await calls.set_profile(0, self._failsafe(charger), self._timeout())
        limits = {
            c.id: self._wanted[(charger.identity, c.id)]
            for c in charger.connector
            if (charger.identity, c.id) in self._wanted
        }
        for connector_id, wanted in limits.items():  # before the lease lifts it
            await self._connector(charger, connector_id, wanted, self._timeout())
        lease = await calls.set_profile(0, self._lease(charger), self._timeout())
        self.installs[charger.identity] = Installed(failsafe, lease)
        self._log_install(charger, failsafe, lease)
        if lease is not ProfileStatus.ACCEPTED and not isinstance(lease, TimedOut):
            return  # it takes no profiles (refused, or no SmartCharging): no renewals
        self._leased.add(charger.identity)
        for connector_id, wanted in limits.items():
            await self._check(calls, charger, connector_id, wanted, self._timeout())
        every = self._section.profile_lease_s / 3
        while True:
            await self._clock.sleep(every)
            renewed = await calls.set_profile(0, self._lease(charger), self._timeout())
            if renewed is not ProfileStatus.ACCEPTED:
                log.warning(
                    "OCPP %s: renewing the charging profile lease got %s; the "
                    "charger falls back to %.1f A within %d s unless the next works",
                    charger.identity,
                    _shown(renewed),
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

    def _failsafe(self, charger: OcppCharger) -> CurrentProfile:
        return CurrentProfile(
            FAILSAFE_ID,
            0,
            ProfilePurpose.CHARGE_POINT_MAX,
            charger.failsafe_current_a,
            self._clock.utcnow(),
        )

    def _lease(self, charger: OcppCharger) -> CurrentProfile:
        now = self._clock.utcnow()
        return CurrentProfile(
            LEASE_ID,
            1,
            ProfilePurpose.CHARGE_POINT_MAX,
            self._lease_a(charger),
            now,
            valid_to=now + timedelta(seconds=self._section.profile_lease_s),
        )

    def _lease_a(self, charger: OcppCharger) -> float:
        """The sum of its connectors' maxima; held, its failsafe or its limits."""
        if charger.identity not in self.held:
            return float(sum(c.max_current_a for c in charger.connector))
        limits = sum(
            self._wanted.get((charger.identity, c.id), float(c.max_current_a))
            for c in charger.connector
        )
        return min(charger.failsafe_current_a, limits)

    async def _check(
        self,
        setter: ProfileSetter,
        charger: OcppCharger,
        connector_id: int,
        wanted_a: float,
        timeout_s: float,
    ) -> None:
        """Read back what ``connector_id`` allows; hold the charger if above."""
        if charger.identity in self._uncheckable:
            return
        composite = await setter.composite_schedule(connector_id, CHECK_S, timeout_s)
        if isinstance(composite, CallFailed) and composite.code == "NotImplemented":
            self._uncheckable.add(charger.identity)  # not asked again
            log.warning(
                "OCPP %s: no GetCompositeSchedule; its limits go unchecked",
                charger.identity,
            )
            return
        if not isinstance(composite, CompositeSchedule) or composite.unit != "A":
            log.debug(
                "OCPP %s connector %d: no composite schedule to check (%s)",
                charger.identity,
                connector_id,
                "Rejected" if composite is None else _shown(composite),
            )
            return
        allowed = composite.limit_now()
        if allowed is None or allowed <= round(wanted_a, 1) + LEEWAY_A:
            return
        if charger.identity in self.held:
            return
        self.held.add(charger.identity)
        hold = self._lease(charger)
        log.warning(
            "OCPP %s connector %d: the charger allows %.1f A where we set %.1f A "
            "(GetCompositeSchedule): it does not apply our limits; holding the "
            "whole charger at %.1f A (its failsafe, or its limits' sum) until the "
            "controller restarts",
            charger.identity,
            connector_id,
            allowed,
            wanted_a,
            hold.limit_a,
        )
        status = await setter.set_profile(0, hold, timeout_s)
        if status is not ProfileStatus.ACCEPTED:
            log.warning(
                "OCPP %s: its lease at the hold got %s",
                charger.identity,
                _shown(status),
            )

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
            _shown(failsafe),
            _shown(lease),
        )

    async def set_limit(
        self, identity: str, connector_id: int, current_a: float, timeout_s: float
    ) -> ProfileStatus | Failure:
        """Hold ``connector_id`` of charger ``identity`` at ``current_a`` per phase.

        Remembered (and reinstalled after a reconnect) whatever the answer.
        """
        self._wanted[(identity, connector_id)] = current_a
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
        if charger.identity in self.held:
            await setter.set_profile(0, self._lease(charger), max(left, 1.0))
        elif left > 0:
            await self._check(setter, charger, connector_id, profile.limit_a, left)
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
            _shown(status),
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
            _shown(status),
        )


def _shown(answer: object) -> str:
    return answer.value if isinstance(answer, ProfileStatus) else type(answer).__name__
