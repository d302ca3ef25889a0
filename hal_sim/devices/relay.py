"""A simulated relay module: coils drive contactors, mirror contacts report them.

Each channel has a coil (read with FC01, written with FC05 or FC15) and a
discrete input wired to the contactor's normally-closed mirror contact (FC02):
closed (1) while the main contacts are open. A channel set ``welded`` keeps its
main contacts closed whatever the coil says, so its mirror contact stays open;
one set ``stuck_open`` (a coil that burnt out, a contactor that no longer pulls
in) keeps them open, so its mirror contact stays closed with the coil on.
Rows marked ``inverted`` in the profile (inputs wired the other way round) are
encoded inverted by the shared codec, as the real module would read them.
"""

from __future__ import annotations

from collections.abc import Mapping

from drivers.modbus.decode import Value
from drivers.modbus.profile import Profile, RegisterSpec
from edge.model.measurement import Measurement as M
from hal_sim.devices.base import ILLEGAL_ADDRESS, ProfileDevice


class SimRelay(ProfileDevice):
    """A relay module with one contactor per channel."""

    def __init__(self, profile: Profile, unit: int) -> None:
        super().__init__(profile, unit)
        self._coil_channel = {
            r.address: r.channel
            for r in profile.registers
            if r.measurement is M.COIL and r.channel is not None
        }
        self.coils: dict[int, bool] = dict.fromkeys(self._coil_channel.values(), False)
        self.welded: set[int] = set()
        """Channels whose main contacts no longer open."""
        self.stuck_open: set[int] = set()
        """Channels whose main contacts no longer close."""

    def main_closed(self, channel: int) -> bool:
        """Whether the main contacts of ``channel`` are closed."""
        if channel in self.welded:
            return True
        return self.coils.get(channel, False) and channel not in self.stuck_open

    def values(self) -> Mapping[M, Value | None]:
        """No single values: every row belongs to a channel."""
        return {}

    def row_value(
        self, row: RegisterSpec, values: Mapping[M, Value | None]
    ) -> Value | None:
        """Coil state, or the mirror contact (closed while the mains are open)."""
        channel = row.channel
        if channel is None:
            return values.get(row.measurement)
        if row.measurement is M.COIL:
            return 1.0 if self.coils.get(channel, False) else 0.0
        if row.measurement is M.MIRROR_CONTACT:
            return 0.0 if self.main_closed(channel) else 1.0
        return None

    def apply_write(
        self, function: int, address: int, values: tuple[int, ...]
    ) -> int | None:
        """FC05 (one coil) or FC15 (several) on the coil addresses."""
        if function not in (5, 15):
            return ILLEGAL_ADDRESS
        targets = [self._coil_channel.get(address + i) for i in range(len(values))]
        if any(t is None for t in targets):
            return ILLEGAL_ADDRESS
        for channel, value in zip(targets, values, strict=True):
            if channel is not None:
                self.coils[channel] = bool(value)
        return None
