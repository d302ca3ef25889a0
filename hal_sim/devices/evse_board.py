"""A simulated EVSE board: CP state from the EV, a current limit, a relay.

IEC 61851 states: A without an EV; B, C or D as the EV sets them (C/D while it
requests energy, D when it asks for ventilation); E (CP shorted) and F (EVSE
unavailable) when injected with :meth:`SimEvseBoard.inject_cp_fault`. The relay
closes in C or D when the limit is at least the minimum current; writing the
limit 0 (or the enable control off), or a fault, opens it.

If the profile names a watchdog (Alfen's "validity time"), a written setpoint
holds for ``period_s`` after it was written; once that lapses, and before the
first write after start-up, the board applies its safe current instead (an
installer's setting on the real station, ``safe_current_a`` here), as the
vendor document describes: "If a maximum current is enabled but not updated by
the Modbus master within the specified time, the station defaults to its safe
current". Writing the setpoint again ends the fallback.

Relay faults (:meth:`SimEvseBoard.inject_relay_fault`): a welded relay stays
closed whatever the board commands, a relay that does not close stays open;
the relay row (where the profile has one) reports what the contacts do.
If the profile declares the "disable after charge" latch (EVSE-WB register 2005:
b13 arms it, b14 disables the board), the board disables itself when an EV
leaves while the latch is armed, and stays disabled until b14 is written clear.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum

from drivers.modbus.codec import decode
from drivers.modbus.decode import Value
from drivers.modbus.profile import Function, Profile
from edge.model.measurement import Measurement as M
from hal_sim.devices.base import ILLEGAL_ADDRESS, ILLEGAL_VALUE, ProfileDevice
from hal_sim.ev import MIN_CURRENT_A, SimEv

MAX_CURRENT_A = 80
LATCH = "disable_after_charge"
SAFE_CURRENT_A = 6.0
"""The simulated station's safe current. A setting of the installer's (Alfen
ACE "Active balancing"); the vendor document gives no default. 6 A, the IEC
61851 minimum, so that a lapsed watchdog shows as a reduced charge."""


class RelayFault(StrEnum):
    """What can be wrong with the board's own relay."""

    WELDED = "welded"
    """The contacts stay closed: power flows whatever the board commands."""
    NOT_CLOSING = "not_closing"
    """The contacts stay open: the board commands them closed in vain."""


class SimEvseBoard(ProfileDevice):
    """One board with an optional EV plugged in."""

    def __init__(
        self,
        profile: Profile,
        unit: int,
        now: Callable[[], float],
        cable_limit_a: float = 32.0,
        safe_current_a: float = SAFE_CURRENT_A,
    ) -> None:
        super().__init__(profile, unit)
        self._now = now
        self._ev: SimEv | None = None
        self.latch_armed = False
        """EVSE-WB 2005 b13: disable the board once the EV has left."""
        self.latch_trips = 0
        self.current_limit_a = 0.0
        self.enabled = True
        self.cable_limit_a = cable_limit_a
        self.cp_fault: str | None = None  # "E" or "F" when injected
        self.last_setpoint_at: float | None = None
        """When the setpoint was last written (None: not since start-up)."""
        self.safe_current_a = safe_current_a
        self.watchdog_trips = 0
        """How often a written setpoint lapsed to the safe current."""
        self._lapsed = True
        self.relay_closed = False
        self.relay_fault: RelayFault | None = None

    @property
    def ev(self) -> SimEv | None:
        """The EV plugged in, if any."""
        return self._ev

    @ev.setter
    def ev(self, ev: SimEv | None) -> None:
        if ev is None and self._ev is not None and self.latch_armed:
            self.enabled = False  # the latch: disabled until enabled again
            self.latch_trips += 1
        self._ev = ev

    @property
    def cp_state(self) -> str:
        """IEC 61851 state as the board sees it."""
        if self.cp_fault:
            return self.cp_fault
        if self.ev is None:
            return "A"
        return self.ev.cp_state

    def inject_cp_fault(self, state: str | None) -> None:
        """Force state E or F (None clears it); the relay opens at once."""
        if state not in (None, "E", "F"):
            raise ValueError(f"CP fault must be E or F, not {state!r}")
        self.cp_fault = state
        self.update()

    def inject_relay_fault(self, fault: RelayFault | None) -> None:
        """Weld the relay, keep it from closing, or (None) repair it."""
        self.relay_fault = fault
        self.update()

    @property
    def lapsed(self) -> bool:
        """Whether a watchdog board now applies its safe current."""
        wd = self.profile.watchdog_s
        if wd is None:
            return False
        written = self.last_setpoint_at
        return written is None or self._now() - written > wd

    def applied_limit_a(self) -> float:
        """The limit the board applies: as written, or its safe current."""
        lapsed = self.lapsed
        if lapsed and not self._lapsed:
            self.watchdog_trips += 1
        self._lapsed = lapsed
        return self.safe_current_a if lapsed else self.current_limit_a

    def offered_a(self) -> float:
        """Current advertised on the PWM (0 when not offering)."""
        if self.ev is None or not self.enabled or self.cp_fault:
            return 0.0
        limit = self.applied_limit_a()
        if limit < MIN_CURRENT_A:
            return 0.0
        return min(limit, self.cable_limit_a)

    def update(self) -> None:
        """Re-evaluate the watchdog and the relay."""
        wanted = self.cp_state in ("C", "D") and self.offered_a() > 0
        if self.relay_fault is RelayFault.WELDED:
            self.relay_closed = True
        elif self.relay_fault is RelayFault.NOT_CLOSING:
            self.relay_closed = False
        else:
            self.relay_closed = wanted

    def _reported_cp(self) -> str:
        """The CP state as this model can report it (EVSE-WB: E and F are one)."""
        state = self.cp_state
        row = self.profile.register(M.CP_STATE)
        if row is None:
            return state
        symbols = set((row.values or {}).values()) | set(
            (row.text_values or {}).values()
        )
        if state not in symbols and state in ("E", "F"):
            return "E" if "E" in symbols else "F"
        return state

    def values(self) -> Mapping[M, Value | None]:
        """Engineering values at this instant."""
        self.update()
        return {
            M.CURRENT_LIMIT: self.current_limit_a,  # as written (Alfen 1210)
            M.CURRENT_OFFERED: self.offered_a(),
            M.CP_STATE: self._reported_cp(),
            M.CABLE_LIMIT: self.cable_limit_a,
            M.FIRMWARE: 17.0,
            M.RELAY_CLOSED: 1.0 if self.relay_closed else 0.0,
            M.BOARD_FAULT: 1.0 if self.cp_fault else 0.0,
            M.CHARGING_ENABLED: 1.0 if self.enabled else 0.0,
        }

    def live_image(self, function: Function) -> dict[int, int]:
        """The served registers, with the latch's own bits in its register."""
        image = super().live_image(function)
        latch = self.profile.controls.get(LATCH)
        if (
            latch is not None
            and latch.address is not None
            and self.latch_armed
            and function is Function.HOLDING
        ):
            image[latch.address] = image.get(latch.address, 0) | (latch.on or 0)
        return image

    def apply_write(
        self, function: int, address: int, values: tuple[int, ...]
    ) -> int | None:
        """Handle a write to the current-limit or enable control."""
        for name, control in self.profile.controls.items():
            if control.address is None or control.address != address:
                continue
            if control.function is None or (
                control.function.value != function
                and not (control.function.value == 16 and function == 6)
            ):
                continue
            raw = decode(
                list(values[: 1 if control.type.value.endswith("16") else 2]),
                control.type,
                control.word_order,
            )
            if name == "current_limit":
                amps = float(raw) * control.scale
                if amps and not MIN_CURRENT_A <= amps <= MAX_CURRENT_A:
                    return ILLEGAL_VALUE
                self.current_limit_a = amps
                self.last_setpoint_at = self._now()
            elif name == "enable":
                self.enabled = raw == control.on
            elif name == LATCH:
                self._write_latch_register(int(raw), control.on or 0)
            self.update()
            return None
        return ILLEGAL_ADDRESS

    def _write_latch_register(self, word: int, latch_bits: int) -> None:
        """A write of the latch's register: its bits, and the enable bit in it."""
        self.latch_armed = bool(word & latch_bits) if latch_bits else False
        row = self.profile.register(M.CHARGING_ENABLED)
        if row is not None and row.bit is not None:
            bit = (word >> row.bit) & 1
            self.enabled = bit == 0 if row.inverted else bit == 1
