"""``edge scan``: find the Modbus devices on a bus and say what they are.

Each unit id is probed once with a one-register read and a short timeout: an
answer, even a Modbus exception, means a device is there; silence costs only
the probe's timeout. Each device found is then identified from its identity
registers (:func:`drivers.modbus.identify.identify`) with the bus's usual
timeout (:mod:`drivers.modbus.scan`, which the commissioning page uses too). The
result is a table and a ready-to-paste site-file snippet: the bus, then one
``[[evse]]`` per meter and board found, paired in unit-id order.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
from collections.abc import Sequence

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from drivers.errors import DriverError
from drivers.modbus.client import Endpoint, ModbusClient, Transport
from drivers.modbus.profile import ProfileLibrary
from drivers.modbus.scan import Found, reader, scan_bus, snippet

__all__ = ["Found", "parse_ids", "reader", "run_scan", "scan_bus", "snippet"]
EXIT_RUNTIME = 1


def parse_ids(text: str) -> list[int]:
    """`1-247`, `1,2,5-9` → unit ids (1 to 247)."""
    ids: list[int] = []
    for part in text.split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+))?\s*", part)
        if not m:
            raise argparse.ArgumentTypeError(f"not a unit id range: {part!r}")
        lo = int(m.group(1))
        hi = int(m.group(2) or lo)
        if not 1 <= lo <= hi <= 247:
            raise argparse.ArgumentTypeError(f"unit ids are 1 to 247: {part!r}")
        ids += range(lo, hi + 1)
    return sorted(set(ids))


def endpoint_from(args: argparse.Namespace) -> Endpoint:
    """The endpoint the command line names."""
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        transport: Transport = "rtu-over-tcp" if args.rtu_over_tcp else "tcp"
        return Endpoint(transport, host=host or "127.0.0.1", port=int(port or 502))
    return Endpoint(
        "rtu",
        device=args.port,
        baud=args.baud,
        parity=args.framing[1],
        stopbits=int(args.framing[2]),
        timeout_s=args.identify_timeout_ms / 1000,
    )


def table(found: Sequence[Found]) -> Table:
    """One row per device found."""
    t = Table(title=f"{len(found)} device(s) found")
    for col in ("unit", "profile", "kind", "make and model", "other candidates"):
        t.add_column(col)
    for hit in found:
        best = hit.best
        t.add_row(
            str(hit.unit),
            best.id if best else ("(garbled answers)" if hit.garbled else "?"),
            str(best.kind) if best else "",
            f"{best.manufacturer} {best.model}" if best else "",
            ", ".join(m.profile.id for m in hit.matches[1:]),
        )
    return t


async def run_scan(args: argparse.Namespace) -> int:
    """Scan, then print the table and the snippet (or JSON)."""
    lib = ProfileLibrary()
    profiles = [lib.get(i) for i in lib.ids()]
    endpoint = endpoint_from(args)
    client = ModbusClient(endpoint)
    out, err = Console(), Console(stderr=True)
    try:
        await client.connect()
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task(
                f"scanning {endpoint.describe()}", total=len(args.ids)
            )
            result = await scan_bus(
                client,
                args.ids,
                args.timeout_ms / 1000,
                profiles,
                lambda unit: progress.update(
                    task, advance=1, description=f"unit {unit}"
                ),
            )
    except DriverError as exc:
        err.print(f"scan failed: {exc}")
        return EXIT_RUNTIME
    finally:
        client.close()
    found = result.found
    for miss in result.unprobed:
        err.print(f"unit {miss.unit} NOT PROBED: {miss.why}")
    if args.json:
        rows = [
            {
                "unit": f.unit,
                "profiles": [m.profile.id for m in f.matches],
                "garbled": f.garbled,
            }
            for f in found
        ]
        print(json.dumps(rows))
        return EXIT_RUNTIME if result.unprobed else 0
    out.print(table(found))
    print()
    print(snippet(endpoint, args.bus_id, found))
    return EXIT_RUNTIME if result.unprobed else 0


def cmd_scan(args: argparse.Namespace) -> int:
    """Run ``edge scan``."""
    return asyncio.run(run_scan(args))


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``scan``."""
    s = sub.add_parser("scan", help="find and identify the Modbus devices on a bus")
    where = s.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", help="serial device, e.g. /dev/ttyUSB0")
    where.add_argument(
        "--tcp", metavar="HOST:PORT", help="Modbus TCP device or gateway"
    )
    s.add_argument(
        "--rtu-over-tcp",
        action="store_true",
        help="the --tcp gateway speaks RTU frames",
    )
    s.add_argument("--baud", type=int, default=9600)
    s.add_argument("--framing", choices=["8N1", "8E1", "8O1", "8N2"], default="8N1")
    s.add_argument("--ids", type=parse_ids, default=parse_ids("1-247"))
    s.add_argument(
        "--timeout-ms",
        type=int,
        default=100,
        help="how long a unit may take to answer the probe (beyond the wire time)",
    )
    s.add_argument("--identify-timeout-ms", type=int, default=300)
    s.add_argument("--bus-id", default="rs485", help="bus id for the config snippet")
    s.add_argument("--json", action="store_true", help="print the devices as JSON")
    s.set_defaults(func=cmd_scan)
