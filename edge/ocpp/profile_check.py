"""The read-back of a charger's limits, and the hold of one that allows more.

Once a charger's lease is in, :mod:`edge.ocpp.charging_profiles` has every
limit the charger accepted read back here with GetCompositeSchedule (K08 in
2.0.1; 1.6's too). A charger that says it allows more than we asked (it
accepted a profile and does not apply it) is logged once and **held** from
then on until the controller restarts: its lease, the only profile it is seen
to obey above its failsafe, is renewed at the least of its failsafe and the
sum of its connectors' limits (:meth:`edge.ocpp.max_profiles.MaxProfiles.lease_a`).
Why not 0 A: a 0 A TxProfile goes through the very profiles it ignores, and a
0 A lease stops every car on it for a fault of its firmware; its failsafe is
the current the installer declared safe for it when we cannot control it, and
the sum of its limits keeps it within what the site gave it. A composite a
charger cannot give (Rejected, no answer, not in A) is not a deviation; one
that answers NotImplemented is not asked again.
"""

from __future__ import annotations

import logging

from edge.config.ocpp import OcppCharger
from edge.ocpp.calls.outgoing import CallFailed
from edge.ocpp.calls.profiles import (
    CompositeSchedule,
    ProfileSetter,
    ProfileStatus,
    shown,
)
from edge.ocpp.max_profiles import MaxProfiles

log = logging.getLogger(__name__)

CHECK_S = 60
"""The span of the composite schedule a charger is asked for after a limit."""
LEEWAY_A = 0.05
"""What a composite may exceed a limit by (rounding) before it is a deviation."""


class ProfileCheck:
    """The read-back of every charger's limits; the hold of those above them."""

    def __init__(self, max_profiles: MaxProfiles) -> None:
        self._max = max_profiles
        self._uncheckable: set[str] = set()
        """Chargers that answered GetCompositeSchedule NotImplemented."""

    async def check(
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
                "Rejected" if composite is None else shown(composite),
            )
            return
        allowed = composite.limit_now()
        if allowed is None or allowed <= round(wanted_a, 1) + LEEWAY_A:
            return
        if charger.identity in self._max.held:
            return
        self._max.held.add(charger.identity)
        hold = self._max.lease(charger)
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
                shown(status),
            )
