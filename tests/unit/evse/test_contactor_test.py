"""The page's contactor test: when it is allowed, and that it always releases."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace

import pytest

from drivers.errors import DeviceTimeout
from edge.evse.contactor_test import ContactorTester
from edge.evse.machine_state import ActiveSession, EvseSettings, EvseState
from edge.evse.state_machine import initial_state
from edge.evse.states import CpState
from edge.model.clock import ScaledClock


@dataclass
class Coil:
    """A contactor that records what it was told (and can fail once closed)."""

    name: str = "relay/1"
    writes: list[bool] = field(default_factory=list)
    fail_open: bool = False

    def watch(self, sink) -> None:
        pass

    async def switch(self, closed: bool) -> None:
        if not closed and self.fail_open:
            raise DeviceTimeout("relay silent")
        self.writes.append(closed)


@dataclass
class Ctl:
    """What ContactorTester reads of a controller."""

    state: EvseState
    contactor: Coil | None
    clock: ScaledClock = field(default_factory=lambda: ScaledClock(1000.0))
    settings: EvseSettings = field(default_factory=lambda: EvseSettings("E1"))


def idle() -> EvseState:
    return replace(initial_state(0.0), cp=CpState.A, contactor=False)


SESSION = ActiveSession("s1", 0, "04A23B1C00", None, 0.0)


@pytest.mark.parametrize(
    ("state", "why"),
    [
        (replace(idle(), cp=None), "not been read yet"),
        (replace(idle(), cp=CpState.B), "an EV is connected (CP state B)"),
        (replace(idle(), cp=CpState.C), "an EV is connected (CP state C)"),
        (replace(idle(), session=SESSION), "a session is running"),
        (replace(idle(), contactor=True), "holds the contactor closed"),
        (replace(idle(), welded=True), "welded"),
    ],
)
async def test_refused_without_touching_the_coil(state: EvseState, why: str) -> None:
    coil = Coil()
    tester = ContactorTester(Ctl(state, coil))  # type: ignore[arg-type]
    assert why in (tester.refusal() or "")
    result = await tester.run("test")
    assert not result.done
    assert why in result.message
    assert coil.writes == []


async def test_no_separate_contactor() -> None:
    tester = ContactorTester(Ctl(idle(), None))  # type: ignore[arg-type]
    assert not tester.available
    assert "no separate contactor" in (await tester.run("test")).message


async def test_pulse_closes_then_opens_and_one_at_a_time(
    caplog: pytest.LogCaptureFixture,
) -> None:
    coil = Coil()
    tester = ContactorTester(Ctl(idle(), coil))  # type: ignore[arg-type]
    assert tester.available
    assert tester.refusal() is None
    assert tester.pulse_s <= EvseSettings("E1").relay_settle_s / 2
    first = asyncio.create_task(tester.run("installer"))
    while not coil.writes:
        await asyncio.sleep(0)
    assert "already running" in (await tester.run("another")).message
    assert (await first).done
    assert coil.writes == [True, False]
    assert "contactor test by installer" in caplog.text


async def test_cancelled_mid_pulse_still_releases() -> None:
    coil = Coil()
    ctl = Ctl(idle(), coil, clock=ScaledClock(0.001))  # the pulse takes ages
    tester = ContactorTester(ctl)  # type: ignore[arg-type]
    task = asyncio.create_task(tester.run("installer"))
    while not coil.writes:
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert coil.writes == [True, False]


async def test_a_relay_that_does_not_open_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    coil = Coil(fail_open=True)
    tester = ContactorTester(Ctl(idle(), coil))  # type: ignore[arg-type]
    await tester.run("installer")
    assert "could not open the contactor" in caplog.text
