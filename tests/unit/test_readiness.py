"""Readiness: READY once every expected part reported up, and only then."""

from __future__ import annotations

import asyncio

import pytest

from edge.readiness import Readiness


async def test_ready_only_when_every_part_is_up() -> None:
    ready = Readiness()
    ready.expect("rfid E1")
    ready.expect("E1/meter")
    ready.seal()
    waiter = asyncio.ensure_future(ready.wait())
    ready.up("rfid E1", "open")
    await asyncio.sleep(0)
    assert not waiter.done()
    assert not ready.is_ready
    assert ready.pending == ["E1/meter"]
    ready.up("E1/meter", "known failed")
    await asyncio.wait_for(waiter, 1)  # a guard only: set() wakes it at once
    assert ready.is_ready
    assert ready.pending == []


async def test_not_ready_before_sealed_and_ready_at_once_with_no_parts() -> None:
    ready = Readiness()
    ready.expect("ocpi uplink")
    ready.up("ocpi uplink")
    assert not ready.is_ready  # more parts may still be expected
    ready.seal()
    assert ready.is_ready
    empty = Readiness()
    empty.seal()
    assert empty.is_ready
    await empty.wait()


def test_unexpected_or_repeated_reports_change_nothing() -> None:
    ready = Readiness()
    ready.expect("a")
    ready.expect("b")
    ready.seal()
    ready.up("a")
    ready.up("a")
    ready.up("zzz")
    assert ready.pending == ["b"]
    with pytest.raises(RuntimeError, match="sealed; cannot expect 'c'"):
        ready.expect("c")
