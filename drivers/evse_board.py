"""The generic EVSE board: any board profile, one driver."""

from __future__ import annotations

import math

from drivers.errors import ProfileError
from drivers.modbus.client import ModbusClient
from drivers.modbus.codec import encode
from drivers.modbus.profile import ControlSpec, WriteFunction
from drivers.polled import PolledDevice


class ProfileEvseBoard(PolledDevice):
    """A board read and controlled through its profile."""

    def _control(self, name: str) -> ControlSpec:
        control = self.profile.controls.get(name)
        if control is None:
            raise ProfileError(f"profile {self.profile.id} has no control.{name}")
        return control

    async def _write(self, control: ControlSpec, raw: int | float) -> None:
        if control.address is None or control.function is None:
            raise ProfileError(f"profile {self.profile.id}: control without an address")
        address, function = control.address, control.function
        unit = self.unit

        async def run(client: ModbusClient) -> None:
            if function is WriteFunction.WRITE_COIL:
                await client.write_coil(unit, address, bool(raw))
            else:
                words = encode(raw, control.type, control.word_order)
                await client.write_registers(unit, address, words, int(function))

        await self.scheduler.write(self.unit, run, self.counters)

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
