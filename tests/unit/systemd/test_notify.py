"""edge.systemd: READY=1 and WATCHDOG=1 over a real unix datagram socket."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from drivers.modbus.scheduler import Poller
from edge.model.clock import ManualClock
from edge.readiness import Readiness
from edge.systemd import BusLiveness, Notifier, supervise


@pytest.fixture
def listener(tmp_path: Path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = tmp_path / "notify"
    sock.bind(str(path))
    sock.setblocking(False)
    yield path, sock
    sock.close()


def received(sock: socket.socket) -> list[str]:
    out = []
    while True:
        try:
            out.append(sock.recv(4096).decode())
        except BlockingIOError:
            return out


def poller(name: str) -> Poller:
    return Poller(name, 1, [[]], 1.0, lambda _r: None)


def fake_site(ready: Readiness, buses: dict[str, list[Poller]]) -> Any:
    schedulers = {n: SimpleNamespace(pollers=p) for n, p in buses.items()}
    return SimpleNamespace(ready=ready, schedulers=schedulers)


def test_without_notify_socket_nothing_is_sent() -> None:
    n = Notifier({})
    assert not n.enabled
    assert n.send(READY="1") is False


def test_send_reaches_the_socket(listener) -> None:
    path, sock = listener
    n = Notifier({"NOTIFY_SOCKET": str(path)})
    assert n.send(READY="1", STATUS="READY")
    assert received(sock) == ["READY=1\nSTATUS=READY"]


def test_abstract_socket_address() -> None:
    name = f"edge-test-{id(object())}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    try:
        assert Notifier({"NOTIFY_SOCKET": "@" + name}).send(WATCHDOG="1")
        assert sock.recv(100) == b"WATCHDOG=1"
    finally:
        sock.close()


def test_a_dead_socket_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    n = Notifier({"NOTIFY_SOCKET": str(tmp_path / "nobody")})
    assert n.send(READY="1") is False


def test_watchdog_period_only_for_this_process() -> None:
    assert Notifier({"WATCHDOG_USEC": "30000000"}).watchdog_s == 30.0
    other = {"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}
    assert Notifier(other).watchdog_s is None
    assert Notifier({"WATCHDOG_USEC": "soon"}).watchdog_s is None
    assert Notifier({}).watchdog_s is None


def test_liveness_flags_only_a_bus_whose_count_stands_still() -> None:
    now = [0.0]
    live = BusLiveness(lambda: now[0], stall_s=10)
    moving, frozen = poller("m"), poller("f")
    buses: Any = {
        "a": SimpleNamespace(pollers=[moving]),
        "b": SimpleNamespace(pollers=[frozen]),
        "empty": SimpleNamespace(pollers=[]),
    }
    assert live.stuck(buses) == []
    for _ in range(3):
        now[0] += 6
        moving.counters.transactions += 1
        stuck = live.stuck(buses)
    assert stuck == ["b"]
    frozen.counters.transactions += 1
    assert live.stuck(buses) == []


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_ready_then_pings_while_alive_and_none_when_stuck(listener) -> None:
    path, sock = listener
    clock = ManualClock()
    ready = Readiness()
    ready.expect("meter")
    ready.seal()
    p = poller("meter")
    site = fake_site(ready, {"rs485": [p]})
    alive = [True]
    n = Notifier({"NOTIFY_SOCKET": str(path), "WATCHDOG_USEC": "20000000"})
    task = asyncio.create_task(supervise(site, lambda: alive[0], clock, n))
    await settle()
    first = received(sock)
    assert "STATUS=starting: waiting for meter" in first
    assert "WATCHDOG=1" in first  # alive before READY too
    assert not any("READY=1" in m for m in first)

    ready.up("meter")
    await settle()
    assert received(sock) == ["READY=1\nSTATUS=READY"]

    for _ in range(3):  # every 10 s (half the period), while the bus moves
        p.counters.transactions += 1
        clock.advance(10)
        await settle()
    assert received(sock) == ["WATCHDOG=1"] * 3

    for _ in range(12):  # the bus stands still: pings stop after STALL_S (90 s)
        clock.advance(10)
        await settle()
    pings = received(sock)
    assert 8 <= len(pings) <= 10
    clock.advance(10)
    await settle()
    assert received(sock) == []

    p.counters.transactions += 1  # it moves again
    clock.advance(10)
    await settle()
    assert received(sock) == ["WATCHDOG=1"]

    alive[0] = False  # the site task ended: silence
    p.counters.transactions += 1
    clock.advance(10)
    await settle()
    assert received(sock) == []
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_supervise_returns_at_once_without_systemd() -> None:
    site = fake_site(Readiness(), {})
    await asyncio.wait_for(
        supervise(site, lambda: True, ManualClock(), Notifier({})), timeout=5
    )
