"""OCPP bench: our central system against a bare ``ocpp`` one, same chargers.

    python bench/ocpp [--json] [--chargers 50] [--duration 50] [--speed 10]

Per central system, in the same run: the server in its own process
(``serve.py``: ours is ``OcppService`` on a real SQLite file; the bare one is
the ``ocpp`` package's ChargePoint over ``websockets``, answering with the least
and storing nothing), the chargers in another (``chargers.py``: hal_sim's
charge points over real loopback websockets). Both processes run on one
``ScaledClock`` at ``--speed`` site seconds per wall second. Each charger sends
MeterValues every 10 site seconds and charges half of each site hour; halfway
through, every link is closed and all chargers reconnect within 10 site seconds.

Figures, taken at the server (``timing.py``): arrival to answer, per CALL;
durable = arrival to answer of the messages whose answer our server sends only
after the session row is committed (StartTransaction, MeterValues of a
transaction, StopTransaction: ``edge/ocpp/handlers/v16_tx.py`` awaits the
store's write before it returns); CPU seconds of the server process
(/proc/<pid>/stat) per 1,000 CALLs answered, from listening to the last
charger's close (so it carries each server's fixed background work too, and
falls as --speed raises the message rate); the storm's p99 is of the CALLs that
arrived between the drop and the last charger's reconnection.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edge.model.clock import ScaledClock

HERE = Path(__file__).resolve().parent
DURABLE = ("StartTransaction", "StopTransaction")


def cpu_s(pid: int) -> float:
    stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def run_one(kind: str, tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    work = tmp / kind
    work.mkdir()
    clock = ScaledClock(args.speed, datetime(2026, 3, 2, 6, tzinfo=UTC))
    port_file, timings = work / "port", work / "timings.json"
    log = (work / "log").open("wb")
    cmd = [sys.executable, str(HERE / "serve.py"), kind]
    cmd += ["--chargers", str(args.chargers), "--clock", clock.anchor()]
    cmd += ["--port-file", str(port_file), "--timings", str(timings)]
    cmd += ["--db", str(work / "edge.db")]
    server = subprocess.Popen(cmd, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while not port_file.exists() or not port_file.read_text():
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"{kind} server did not start: {work}/log")
            time.sleep(0.05)
        cpu0 = cpu_s(server.pid)
        drive = [sys.executable, str(HERE / "chargers.py")]
        drive += ["--port", port_file.read_text(), "--chargers", str(args.chargers)]
        drive += ["--clock", clock.anchor(), "--duration", str(args.duration)]
        drive += ["--storm-at", str(args.duration / 2)]
        out = subprocess.run(drive, capture_output=True, text=True, check=False)
        cpu1 = cpu_s(server.pid)
        if out.returncode != 0:
            raise SystemExit(f"chargers failed: {out.stderr[-2000:]}")
        client = json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()
    rows = json.loads(timings.read_text())
    answer = [r[2] for r in rows]
    durable = [
        ms
        for action, in_tx, ms, refused, _ in rows
        if not refused and (action in DURABLE or (action == "MeterValues" and in_tx))
    ]
    start_stop = [r[2] for r in rows if r[0] in DURABLE]
    storm0 = client["storm_at"]
    storm1 = storm0 + (client["reconnect_max_s"] or 0.0)
    storm = [r[2] for r in rows if storm0 <= r[4] <= storm1]
    actions: dict[str, list[float]] = {}
    for r in rows:
        actions.setdefault(r[0], []).append(r[2])
    sessions = None
    if kind == "ours":
        with sqlite3.connect(work / "edge.db") as db:
            sessions = dict(
                db.execute("SELECT status, COUNT(*) FROM sessions GROUP BY status")
            )
    return {
        "messages": len(rows),
        "refused": sum(1 for r in rows if r[3]),
        "answer_p50_ms": pct(answer, 0.5),
        "answer_p99_ms": pct(answer, 0.99),
        "durable_messages": len(durable),
        "durable_p50_ms": pct(durable, 0.5),
        "durable_p99_ms": pct(durable, 0.99),
        "start_stop_p99_ms": pct(start_stop, 0.99),
        "storm_messages": len(storm),
        "storm_p99_ms": pct(storm, 0.99),
        "per_action": {
            a: (len(v), pct(v, 0.5), pct(v, 0.99)) for a, v in sorted(actions.items())
        },
        "cpu_s": cpu1 - cpu0,
        "cpu_s_per_1000": (cpu1 - cpu0) * 1000 / max(1, len(rows)),
        "sessions": sessions,
        "client": client,
    }


def fmt(v: object, unit: str = "") -> str:
    if v is None:
        return "n/a"
    if isinstance(v, float):
        return f"{v:.2f}{unit}"
    return f"{v}{unit}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--chargers", type=int, default=50)
    parser.add_argument("--duration", type=float, default=50.0, help="wall s each")
    parser.add_argument("--speed", type=float, default=10.0, help="site s per wall s")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-ocpp-") as d:
        bare = run_one("bare", Path(d), args)
        ours = run_one("ours", Path(d), args)
    ratio = ours["cpu_s_per_1000"] / max(1e-9, bare["cpu_s_per_1000"])
    print(
        f"{args.chargers} chargers, {args.duration:g} wall s each at x{args.speed:g} "
        f"({args.duration * args.speed / 60:.1f} site min), reconnect storm halfway"
    )
    print(f"{'':<26}{'ours':>14}{'bare ocpp':>14}")
    for name, key, unit in (
        ("CALLs answered", "messages", ""),
        ("CALLERRORs", "refused", ""),
        ("answer p50", "answer_p50_ms", " ms"),
        ("answer p99", "answer_p99_ms", " ms"),
        ("durable p50", "durable_p50_ms", " ms"),
        ("durable p99", "durable_p99_ms", " ms"),
        ("  (of which durable msgs)", "durable_messages", ""),
        ("Start/Stop answer p99", "start_stop_p99_ms", " ms"),
        ("storm answer p99", "storm_p99_ms", " ms"),
        ("  (CALLs in the storm)", "storm_messages", ""),
        ("server CPU", "cpu_s", " s"),
        ("CPU s per 1000 msgs", "cpu_s_per_1000", " s"),
    ):
        b = None if key.startswith("durable") else bare[key]
        print(f"{name:<26}{fmt(ours[key], unit):>14}{fmt(b, unit):>14}")
    print("per action, p50/p99 ms (count):")
    for action, (n, p50, p99) in ours["per_action"].items():
        _, b50, b99 = bare["per_action"].get(action, (0, None, None))
        ours_s, bare_s = f"{fmt(p50)}/{fmt(p99)}", f"{fmt(b50)}/{fmt(b99)}"
        print(f"{'  ' + action + f' ({n})':<26}{ours_s:>14}{bare_s:>14}")
    for kind, r in (("ours", ours), ("bare", bare)):
        c = r["client"]
        assert isinstance(c, dict)
        print(
            f"{kind}: client round trip p50/p99 {fmt(c['rtt_p50_ms'])}/"
            f"{fmt(c['rtt_p99_ms'])} ms; {c['reconnected']} reconnected, slowest "
            f"{fmt(c['reconnect_max_s'])} wall s after the drop; "
            f"{c['starts']} starts, {c['stops']} stops; {c['error_count']} errors "
            f"{c['errors']}"
        )
    print(f"sessions in our store: {ours['sessions']}")
    print(
        f"ratio (CPU per 1000, ours/bare) {ratio:.2f} (target <= 3); "
        f"answer p99 {fmt(ours['answer_p99_ms'])} ms (target <= 100 ms)"
    )
    if args.json:
        result = {
            "chargers": args.chargers,
            "speed": args.speed,
            "duration_s": args.duration,
            "messages": ours["messages"],
            "answer_p50_ms": ours["answer_p50_ms"],
            "answer_p99_ms": ours["answer_p99_ms"],
            "storm_answer_p99_ms": ours["storm_p99_ms"],
            "durable_p50_ms": ours["durable_p50_ms"],
            "durable_p99_ms": ours["durable_p99_ms"],
            "cpu_s_per_1000": ours["cpu_s_per_1000"],
            "bare_messages": bare["messages"],
            "bare_answer_p50_ms": bare["answer_p50_ms"],
            "bare_answer_p99_ms": bare["answer_p99_ms"],
            "bare_cpu_s_per_1000": bare["cpu_s_per_1000"],
            "ratio": ratio,
            "reconnected": ours["client"]["reconnected"],
            "errors": ours["client"]["error_count"],
        }
        print(
            json.dumps(
                {
                    k: round(v, 3) if isinstance(v, float) else v
                    for k, v in result.items()
                }
            )
        )


if __name__ == "__main__":
    main()
