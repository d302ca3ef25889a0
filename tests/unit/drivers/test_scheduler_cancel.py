"""A bus stops when cancelled even if its Modbus library swallows the cancel.

pymodbus awaits its answer with asyncio.wait_for; on Python 3.11 that loses a
cancellation arriving in the same loop turn as the answer. This fake client
answers exactly that way; the bus task must still end.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from drivers.modbus.coalesce import ReadBlock
from drivers.modbus.profile import Function
from drivers.modbus.scheduler import BusScheduler, Poller
from edge.model.clock import SystemClock


class RacyClient:
    """Answers every read through wait_for, resolving and cancelling together."""

    def __init__(self) -> None:
        self.endpoint = SimpleNamespace(retries=0, timeout_s=0.3)
        self.answer_timeout_s = 0.3
        self.last_latency_s = 0.0
        self.reads = 0
        self.bus_task: asyncio.Task[None] | None = None
        self.cancel_on_read = 50

    async def read(
        self, unit: int, function: int, address: int, count: int
    ) -> list[int]:
        self.reads += 1
        fut: asyncio.Future[list[int]] = asyncio.get_running_loop().create_future()

        def answer() -> None:
            fut.set_result([0] * count)
            if self.reads == self.cancel_on_read and self.bus_task is not None:
                self.bus_task.cancel()  # lands in the same turn as the answer

        asyncio.get_running_loop().call_soon(answer)
        return await asyncio.wait_for(fut, 1.0)

    async def silence(self) -> None:
        pass

    def close(self) -> None:
        pass


async def test_bus_task_ends_when_the_cancel_lands_with_an_answer() -> None:
    client = RacyClient()
    bus = BusScheduler("t", client, SystemClock())  # type: ignore[arg-type]
    bus.add(Poller("d", 1, [[ReadBlock(Function.INPUT, 0, 2)]], 0.0, lambda _r: None))
    task = asyncio.create_task(bus.run())
    client.bus_task = task
    done, _ = await asyncio.wait([task], timeout=3.0)
    assert done, f"bus kept polling after its cancel ({client.reads} reads)"
    assert task.cancelled()
    assert client.reads < 1000
