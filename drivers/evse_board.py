"""The generic EVSE board: any board profile, one driver."""

from __future__ import annotations

import math

from drivers.polled import PolledDevice


class ProfileEvseBoard(PolledDevice):
    """A board read and controlled through its profile."""

    async def set_charging(self, enabled: bool, current_a: float) -> None:
        """Enable charging at ``current_a`` A, or disable it (priority lane)."""
        limit = self._control("current_limit")
        enable = self.profile.controls.get("enable")
        amps = math.floor(current_a) if enabled else 0
        if enable is not None and enable.via == "current_limit":
            off = enable.off if enable.off is not None else 0
            await self._write(limit, amps / limit.scale if enabled else off)
            return
        if enabled:
            await self._write(limit, amps / limit.scale)
        if enable is not None:
            value = enable.on if enabled else enable.off
            await self._write(enable, value if value is not None else int(enabled))
