"""The two ChargePointMaxProfiles of every charger: its failsafe and its lease.

:mod:`edge.ocpp.charging_profiles` installs them (and renews the lease);
:mod:`edge.ocpp.profile_check` holds a charger that allows more than we set.
Both read the lease from here, so both see one hold:

* **the failsafe** (id :data:`FAILSAFE_ID`, stack level 0, no end): the
  charger's ``failsafe_current_a`` per phase;
* **the lease** (id :data:`LEASE_ID`, stack level 1, valid for ``[ocpp]
  profile_lease_s``): the sum of the connectors' ``max_current_a``; for a
  charger :attr:`MaxProfiles.held`, the least of its failsafe and the sum of
  its connectors' limits (:attr:`MaxProfiles.wanted`, a connector without one
  at its maximum).
"""

from __future__ import annotations

from datetime import timedelta

from edge.config.ocpp import OcppCharger
from edge.model.clock import Clock
from edge.ocpp.calls.profiles import CurrentProfile, ProfilePurpose

FAILSAFE_ID = 1
LEASE_ID = 2


class MaxProfiles:
    """The failsafe and the lease of every charger, and what the lease is at."""

    def __init__(self, clock: Clock, lease_s: int) -> None:
        self._clock = clock
        self._lease_s = lease_s
        self.wanted: dict[tuple[str, int], float] = {}
        """(identity, connector id) -> the limit last asked for, per phase."""
        self.held: set[str] = set()
        """Chargers seen to allow more than a limit: leased at their hold."""

    def failsafe(self, charger: OcppCharger) -> CurrentProfile:
        """``charger``'s failsafe, from now on."""
        return CurrentProfile(
            FAILSAFE_ID,
            0,
            ProfilePurpose.CHARGE_POINT_MAX,
            charger.failsafe_current_a,
            self._clock.utcnow(),
        )

    def lease(self, charger: OcppCharger) -> CurrentProfile:
        """``charger``'s lease, from now for ``profile_lease_s``."""
        now = self._clock.utcnow()
        return CurrentProfile(
            LEASE_ID,
            1,
            ProfilePurpose.CHARGE_POINT_MAX,
            self.lease_a(charger),
            now,
            valid_to=now + timedelta(seconds=self._lease_s),
        )

    def lease_a(self, charger: OcppCharger) -> float:
        """The sum of its connectors' maxima; held, its failsafe or its limits."""
        if charger.identity not in self.held:
            return float(sum(c.max_current_a for c in charger.connector))
        limits = sum(
            self.wanted.get((charger.identity, c.id), float(c.max_current_a))
            for c in charger.connector
        )
        return min(charger.failsafe_current_a, limits)
