"""The generic energy meter: any meter profile, one driver."""

from __future__ import annotations

from drivers.polled import PolledDevice


class ProfileMeter(PolledDevice):
    """A meter read through its profile; readings in Wh, W, A, V, Hz."""
