"""The bench's simulated chargers, in their own process (started by the bench).

    python bench/ocpp/chargers.py --port P --chargers N --clock ANCHOR
        --duration S [--storm-at S]

Each charger is :class:`hal_sim.ocpp.charge_point.SimChargePoint` over a real
websocket: it boots, reports its connector, sends MeterValues every 10 site
seconds and charges half of every site hour (Preparing, Authorize,
StartTransaction, Charging ... StopTransaction, Finishing, Available), its
hour's phase spread over the chargers, so that about half of them are charging
when the run starts. At ``--storm-at`` wall seconds every link is closed at
once and each charger reconnects (boot, status) within 10 site seconds; its
transaction goes on. Prints one JSON object: messages, client round trips,
reconnect times, errors.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from serve import card, identity

from edge.model.clock import ScaledClock
from hal_sim.ocpp.charge_point import SimChargePoint
from hal_sim.ocpp.link import open_link
from hal_sim.ocpp.messages import energy

METER_S = 10.0
HOUR_S = 3600.0
CHARGE_S = 1800.0
POWER_W = 11_000.0
T = TypeVar("T")


@dataclass
class Stats:
    rtt_ms: list[float] = field(default_factory=list)
    reconnect_s: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    starts: int = 0
    stops: int = 0


class Charger:
    def __init__(self, n: int, args: argparse.Namespace, clock: ScaledClock) -> None:
        self.n = n
        self.url = f"ws://127.0.0.1:{args.port}/{identity(n)}"
        self.clock = clock
        self.cp: SimChargePoint | None = None
        self.runner: asyncio.Task[object] | None = None
        self.tx: int | None = None
        self.meter_wh = 1_000_000.0 + 10_000 * n
        self.phase = HOUR_S * n / args.chargers
        """Site seconds into its hour at the start: charging below CHARGE_S."""

    async def call(
        self,
        stats: Stats,
        fn: Callable[..., Awaitable[T]],
        *args: object,
    ) -> T:
        t0 = time.perf_counter()
        result = await fn(*args)
        stats.rtt_ms.append((time.perf_counter() - t0) * 1000)
        return result

    async def connect(self, stats: Stats) -> None:
        link = await open_link(self.url, identity(self.n))
        cp = SimChargePoint(identity(self.n), link, self.clock, response_timeout_s=600)
        self.cp = cp
        self.runner = asyncio.create_task(cp.run())
        await self.call(stats, cp.boot)
        await self.call(
            stats, cp.status, 1, "Charging" if self.tx is not None else "Available"
        )

    async def drop(self) -> None:
        assert self.cp is not None
        assert self.runner is not None
        await self.cp.link.close()
        with contextlib.suppress(Exception):
            await self.runner

    async def start(self, stats: Stats) -> None:
        assert self.cp is not None
        cp = self.cp
        await self.call(stats, cp.status, 1, "Preparing")
        await self.call(stats, cp.authorize, card(self.n))
        answer = await self.call(
            stats, cp.start_transaction, 1, card(self.n), round(self.meter_wh)
        )
        self.tx = answer.transaction_id
        await self.call(stats, cp.status, 1, "Charging")
        stats.starts += 1

    async def stop(self, stats: Stats) -> None:
        assert self.cp is not None
        assert self.tx is not None
        cp = self.cp
        await self.call(stats, cp.stop_transaction, self.tx, round(self.meter_wh))
        self.tx = None
        await self.call(stats, cp.status, 1, "Finishing")
        await self.call(stats, cp.status, 1, "Available")
        stats.stops += 1

    async def run(
        self, stats: Stats, end_wall: float, storm: asyncio.Event, rng: random.Random
    ) -> None:
        clock = self.clock
        await self.connect(stats)
        t0 = clock.monotonic()
        if self.phase < CHARGE_S:
            await self.start(stats)
        stormed = False
        tick = t0 + self.phase / HOUR_S * METER_S
        while time.monotonic() < end_wall:
            if storm.is_set() and not stormed:
                stormed = True
                dropped = time.monotonic()
                await self.drop()
                await clock.sleep(rng.uniform(0, 10))
                await self.connect(stats)
                stats.reconnect_s.append(time.monotonic() - dropped)
            wait = clock.to_wall(max(0.0, tick - clock.monotonic()))
            if not stormed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(storm.wait(), wait)
                    continue
            else:
                await asyncio.sleep(wait)
            tick += METER_S
            assert self.cp is not None
            hour = (self.phase + clock.monotonic() - t0) % HOUR_S
            if self.tx is not None:
                self.meter_wh += POWER_W * METER_S / 3600
            reading = energy(
                clock.utcnow(), self.meter_wh, power_w=POWER_W if self.tx else 0.0
            )
            await self.call(stats, self.cp.meter_values, 1, self.tx, [reading])
            if self.tx is None and hour < CHARGE_S:
                await self.start(stats)
            elif self.tx is not None and hour >= CHARGE_S:
                await self.stop(stats)
        await self.drop()


async def guarded(
    c: Charger, stats: Stats, end_wall: float, storm: asyncio.Event, rng: random.Random
) -> None:
    try:
        await c.run(stats, end_wall, storm, rng)
    except Exception as exc:  # noqa: BLE001 - a charger's failure is a figure
        stats.errors.append(f"{identity(c.n)}: {type(exc).__name__}: {exc}")


async def main(args: argparse.Namespace) -> None:
    clock = ScaledClock.from_anchor(args.clock)
    stats = Stats()
    rng = random.Random(13)
    storm = asyncio.Event()
    end_wall = time.monotonic() + args.duration
    chargers = [Charger(n, args, clock) for n in range(args.chargers)]
    tasks = [
        asyncio.create_task(guarded(c, stats, end_wall, storm, rng)) for c in chargers
    ]
    await asyncio.sleep(args.storm_at)
    storm_at = time.monotonic()
    storm.set()
    await asyncio.gather(*tasks)
    rtt = sorted(stats.rtt_ms)
    print(
        json.dumps(
            {
                "calls": len(rtt),
                "rtt_p50_ms": statistics.median(rtt) if rtt else None,
                "rtt_p99_ms": rtt[int(0.99 * (len(rtt) - 1))] if rtt else None,
                "storm_at": storm_at,
                "reconnected": len(stats.reconnect_s),
                "reconnect_max_s": max(stats.reconnect_s, default=None),
                "starts": stats.starts,
                "stops": stats.stops,
                "errors": stats.errors[:5],
                "error_count": len(stats.errors),
            }
        )
    )


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--chargers", type=int, required=True)
    p.add_argument("--clock", required=True)
    p.add_argument("--duration", type=float, required=True)
    p.add_argument("--storm-at", type=float, required=True)
    asyncio.run(main(p.parse_args()))
