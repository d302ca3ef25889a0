"""Sync bench: a 20-EVSE site's week offline, drained into the simulated eMSP.

    python bench/sync.py [--json] [--sessions N] [--concurrency C] [--rtt-ms MS]

A fresh store is filled through the sessions repository as the controllers would
fill it during a week without uplink: every session starts, checkpoints its
energy every 15 minutes, stops (queueing its final state and its CDR), and its
EVSE's status goes CHARGING and back to AVAILABLE. Folding leaves one outbox row
per object: the location, one status per EVSE, one session and one CDR per
session.

The simulated eMSP runs in its own process (``python -m hal_sim.backoffice``)
with ``--rtt-ms`` of latency on every answer and validates everything it gets.
The backlog is drained twice, from two copies of the same store, into two fresh
backoffices: with ``--concurrency`` requests in flight (the bound is
concurrency / RTT objects per second), then strictly sequentially (one request
at a time) for ``--sequential-s`` seconds, which is enough to measure its rate
(a full sequential drain of a week would take ten minutes).

``delivered_once``: the backoffice holds every session COMPLETED, written once
(one PUT: the week folded into it), every CDR once (no duplicate POST), nothing
was refused, and the outbox is empty.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlite_utils  # noqa: TID251

from edge.config.loader import parse_config
from edge.config.schema import OcpiSection, SiteConfig
from edge.model.clock import ScaledClock
from edge.model.session import Session, SessionStatus
from edge.store import evse_status
from edge.store import sessions as repo
from edge.store.db import Database, open_sync
from edge.store.outbox import stats
from edge.uplink.ocpi.push import PREREQUISITES
from edge.uplink.ocpi.serve import serving
from edge.uplink.ocpi.service import OcpiUplink

WEEK_END = datetime(2026, 3, 9, 0, 0, tzinfo=UTC)
CARDS = [f"{0x04A00000 + n:08X}" for n in range(200)]


def site(evses: int) -> SiteConfig:
    text = (
        '[site]\nname = "Bench depot"\ncountry_code = "NL"\nparty_id = "EXA"\n'
        'location_id = "BENCH1"\naddress = "Bench 1"\ncity = "Utrecht"\n'
        '[[bus]]\nid = "gw"\ntransport = "tcp"\nhost = "127.0.0.1"\nport = 1502\n'
    )
    for n in range(1, evses + 1):
        text += (
            f'[[evse]]\nuid = "E{n:02d}"\nevse_id = "NL*EXA*E{n:04d}"\n'
            f'meter = {{ bus = "gw", unit = {2 * n - 1}, model = "eastron_sdm630" }}\n'
            f'board = {{ bus = "gw", unit = {2 * n}, model = "evse_wb" }}\n'
        )
    return parse_config(text)


def generate(path: Path, config: SiteConfig, sessions: int, seed: int = 1) -> int:
    """A week of sessions through the repository; return how many."""
    rng = random.Random(seed)
    db = open_sync(path)
    db.conn.execute("PRAGMA synchronous=OFF")  # generation speed only
    evses = [e.uid for e in config.evse]
    per_evse = sessions // len(evses)
    slot = timedelta(days=7) / per_evse
    start_week = WEEK_END - timedelta(days=7)
    made = 0
    for e, uid in enumerate(evses):
        meter = 1_000_000 * (e + 1)
        for n in range(per_evse):
            t = start_week + slot * n + timedelta(minutes=rng.uniform(0, 20))
            minutes = rng.uniform(30, slot.total_seconds() / 60 - 25)
            sid = f"{uid}-{n:05d}"
            meter = _session(db, sid, uid, rng.choice(CARDS), t, minutes, meter, rng)
            made += 1
    db.conn.execute("PRAGMA synchronous=FULL")
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    return made


def _session(
    db: sqlite_utils.Database,
    sid: str,
    evse: str,
    card: str,
    t: datetime,
    minutes: float,
    meter: int,
    rng: random.Random,
) -> int:
    """One session, checkpointed every 15 minutes; return the meter at its end."""
    s = Session(
        id=sid, evse_uid=evse, token_uid=card, token_type="RFID",
        contract_id=f"NL-EXA-C{card}", auth_method="WHITELIST", auth_reason="local",
        status=SessionStatus.ACTIVE, start=t, end=None, meter_start_wh=meter,
        meter_last_wh=meter, meter_stop_wh=None, stop_reason=None, last_updated=t,
    )  # fmt: skip
    repo.start_session(db, s)
    evse_status.set_evse_status(db, evse, "CHARGING", None, t)
    power_w = rng.uniform(3_000, 11_000)
    elapsed = 15.0
    while elapsed < minutes:
        wh = meter + int(power_w * elapsed / 60)
        repo.checkpoint(db, sid, wh, t + timedelta(minutes=elapsed))
        elapsed += 15.0
    end = t + timedelta(minutes=minutes)
    stop = meter + int(power_w * minutes / 60)
    repo.stop_session(db, sid, stop, end, "EV_LEFT")
    evse_status.set_evse_status(db, evse, "AVAILABLE", None, end)
    return stop


@dataclass
class Backoffice:
    """The simulated eMSP in its own process."""

    proc: asyncio.subprocess.Process
    versions_url: str
    token_a: str
    admin_url: str

    def summary(self) -> dict[str, object]:
        with urllib.request.urlopen(f"{self.admin_url}/summary", timeout=10) as r:  # noqa: S310 - our own loopback
            data: dict[str, object] = json.loads(r.read())
        return data

    async def stop(self) -> None:
        self.proc.terminate()
        await self.proc.wait()


async def start_backoffice(rtt_ms: float) -> Backoffice:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hal_sim.backoffice", "--latency-ms", str(rtt_ms),
        "--tokens", "0", "--direct", stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None
    lines = [(await proc.stdout.readline()).decode().split(":", 1)[1].strip()
             for _ in range(3)]  # fmt: skip
    return Backoffice(
        proc, lines[0], lines[1], lines[2].split(",")[0][: -len("/summary")]
    )


@dataclass
class Drain:
    """One drain's figures."""

    objects: int
    delivered: int
    seconds: float
    left: int
    summary: dict[str, object]

    @property
    def rate(self) -> float:
        return self.delivered / self.seconds


async def drain(
    db_path: Path, tmp: Path, config: SiteConfig, concurrency: int, rtt_ms: float,
    limit_s: float | None,
) -> Drain:  # fmt: skip
    bo = await start_backoffice(rtt_ms)
    clock = ScaledClock(1.0, WEEK_END + timedelta(hours=1))
    db = await Database.open(db_path)
    section = OcpiSection(
        versions_url=bo.versions_url, token_a=bo.token_a, listen_port=0,
        credentials_path=str(tmp / f"{db_path.stem}.ocpi.json"),
        concurrency=concurrency, request_timeout_s=10.0,
    )  # fmt: skip
    uplink = OcpiUplink(config, clock, db, section=section)
    try:
        async with serving(uplink.server.app, "127.0.0.1", 0) as bound:
            uplink.server.public_url = bound.base_url
            await uplink.queue_static()
            await uplink.connect()
            before = await db.run(lambda d: stats(d.conn, PREREQUISITES))
            t0 = time.perf_counter()
            await uplink.sender.drain(limit_s)
            seconds = time.perf_counter() - t0
            after = await db.run(lambda d: stats(d.conn, PREREQUISITES))
    finally:
        await uplink.aclose()
        await db.close()
    summary = await asyncio.to_thread(bo.summary)
    await bo.stop()
    return Drain(
        before.live, uplink.sender.stats.delivered, seconds, after.live, summary
    )


def delivered_once(d: Drain, sessions: int) -> bool:
    s = d.summary
    return (
        d.left == 0
        and s.get("sessions") == {"COMPLETED": sessions}
        and s.get("session_writes") == {"1": sessions}
        and s.get("cdrs") == sessions
        and s.get("duplicate_cdrs") == 0
        and s.get("rejected") == 0
        and d.delivered == d.objects
    )


async def run(args: argparse.Namespace) -> dict[str, object]:
    config = site(args.evses)
    tmp = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    try:
        load = os.getloadavg()[0]
        print(f"machine: {os.cpu_count()} CPU(s), load average {load:.2f}")
        t0 = time.perf_counter()
        made = generate(tmp / "week.db", config, args.sessions)
        print(f"generated {made} sessions on {args.evses} EVSEs "
              f"in {time.perf_counter() - t0:.1f} s")  # fmt: skip
        shutil.copy(tmp / "week.db", tmp / "sequential.db")
        fast = await drain(tmp / "week.db", tmp, config, args.concurrency,
                           args.rtt_ms, None)  # fmt: skip
        bound = args.concurrency / (args.rtt_ms / 1000)
        print(f"concurrent ({args.concurrency} in flight, {args.rtt_ms:g} ms RTT): "
              f"{fast.delivered}/{fast.objects} objects in {fast.seconds:.1f} s = "
              f"{fast.rate:.1f} objects/s; bound {bound:.0f}/s; "
              f"ratio {fast.rate / bound:.2f}")  # fmt: skip
        seq = await drain(tmp / "sequential.db", tmp, config, 1, args.rtt_ms,
                          args.sequential_s)  # fmt: skip
        print(f"sequential (1 in flight): {seq.delivered} objects of the same backlog "
              f"in {seq.seconds:.1f} s = {seq.rate:.1f} objects/s; the concurrent "
              f"drain is {fast.rate / seq.rate:.1f}x faster")  # fmt: skip
        once = delivered_once(fast, made)
        print(f"delivered once: {once} ({fast.summary})")
        return {
            "objects": fast.objects,
            "objects_per_s": round(fast.rate, 1),
            "bound_objects_per_s": round(bound, 1),
            "ratio": round(fast.rate / bound, 3),
            "sequential_objects_per_s": round(seq.rate, 2),
            "delivered_once": once,
            "sessions": made,
            "concurrency": args.concurrency,
            "rtt_ms": args.rtt_ms,
            "seconds": round(fast.seconds, 1),
            "sequential_objects": seq.delivered,
            "speedup": round(fast.rate / seq.rate, 1),
            "load_average": round(os.getloadavg()[0], 2),
            "cpus": os.cpu_count(),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--json", action="store_true", help="last line: JSON figures")
    p.add_argument("--sessions", type=int, default=3000)
    p.add_argument("--evses", type=int, default=20)
    p.add_argument("--concurrency", type=int, default=16)
    p.add_argument("--rtt-ms", type=float, default=100.0)
    p.add_argument("--sequential-s", type=float, default=15.0)
    args = p.parse_args()
    result = asyncio.run(run(args))
    if args.json:
        print(json.dumps(result))
    return 0 if result["delivered_once"] else 1


if __name__ == "__main__":
    sys.exit(main())
