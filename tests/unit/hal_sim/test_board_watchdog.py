"""The simulated boards' watchdogs and relay faults, as their profiles declare them."""

from __future__ import annotations

from drivers.modbus.codec import DataType, WordOrder, encode
from drivers.modbus.profile import ProfileLibrary
from hal_sim.devices.evse_board import SAFE_CURRENT_A, RelayFault, SimEvseBoard
from hal_sim.ev import SimEv

LIB = ProfileLibrary()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def alfen_write(board: SimEvseBoard, amps: float) -> None:
    words = encode(amps, DataType.F32, WordOrder.BIG)
    assert board.write(16, 1210, tuple(words)) is None


def test_the_alfen_falls_back_to_its_safe_current_when_not_rewritten() -> None:
    clock = Clock()
    board = SimEvseBoard(LIB.get("alfen_eve"), 1, clock, safe_current_a=8.0)
    board.ev = SimEv("ev", 60000, 0.3, 10000, 32, 3)
    assert board.offered_a() == 8.0  # after start-up, before any write
    alfen_write(board, 16.0)
    assert board.offered_a() == 16.0
    clock.now = 60.0
    assert board.offered_a() == 16.0  # the validity time has not passed
    clock.now = 60.5
    assert board.offered_a() == 8.0
    assert board.watchdog_trips == 1
    alfen_write(board, 0.0)  # a disabled board needs feeding too
    assert board.offered_a() == 0.0
    clock.now = 121.0
    assert board.offered_a() == 8.0
    assert board.watchdog_trips == 2


def test_a_board_without_a_watchdog_holds_its_setpoint() -> None:
    clock = Clock()
    board = SimEvseBoard(LIB.get("evse_wb"), 1, clock)
    board.ev = SimEv("ev", 60000, 0.3, 10000, 32, 3)
    assert board.offered_a() == 0.0
    assert board.write(16, 1000, (16,)) is None
    clock.now = 1e6
    assert board.offered_a() == 16.0
    assert board.watchdog_trips == 0
    assert SAFE_CURRENT_A >= 6.0


def test_relay_faults_hold_the_contacts_whatever_the_board_commands() -> None:
    board = SimEvseBoard(LIB.get("evse_wb"), 1, lambda: 0.0)
    board.ev = SimEv("ev", 60000, 0.3, 10000, 16, 3)
    assert board.write(16, 1000, (16,)) is None
    board.update()
    assert board.relay_closed
    board.inject_relay_fault(RelayFault.WELDED)
    assert board.write(16, 1000, (0,)) is None
    assert board.relay_closed  # commanded open, stays closed
    assert board.read(3, 1007, 1) == [1]  # and says so (status bit 0)
    board.inject_relay_fault(RelayFault.NOT_CLOSING)
    assert board.write(16, 1000, (16,)) is None
    assert not board.relay_closed
    assert board.read(3, 1007, 1) == [0]
    board.inject_relay_fault(None)
    assert board.relay_closed
