"""``python -m hal_sim.backoffice``: the simulated eMSP on its own, until Ctrl-C.

Prints the versions URL and token A to give a controller (``edge run
--ocpi-versions-url URL --ocpi-token-a-file PATH``, or ``EDGE_OCPI_TOKEN_A``), and
the admin URL
(``GET /admin/summary``, ``POST /admin/faults`` with e.g. ``{"latency_s": 0.1}``,
``{"outage": true}``, ``{"inject": {"fault": "http_500", "count": 3}}``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from edge.model.clock import SystemClock
from hal_sim.backoffice.server import SimBackoffice
from hal_sim.backoffice.tokens import sample_tokens


def say(line: str) -> None:
    """One line on stdout, now."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


async def serve(args: argparse.Namespace) -> int:
    """Run until SIGINT or SIGTERM."""
    clock = SystemClock()
    tokens = sample_tokens(args.tokens, datetime(2026, 1, 1, tzinfo=UTC))
    async with SimBackoffice(
        clock,
        host=args.host,
        port=args.port,
        proxy=not args.direct,
        token_a=args.token_a,
        tokens=tokens,
    ) as bo:
        bo.faults.latency_s = args.latency_ms / 1000
        say(f"versions URL: {bo.versions_url}")
        say(f"token A:      {bo.token_a}")
        say(f"admin:        {bo.admin_url}/summary, {bo.admin_url}/faults")
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        say(str(bo.summary()))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point."""
    p = argparse.ArgumentParser(prog="python -m hal_sim.backoffice")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="the CPO-facing port")
    p.add_argument("--token-a", default="sim-token-A")
    p.add_argument("--tokens", type=int, default=20, help="tokens in the list")
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument(
        "--direct", action="store_true", help="no fault proxy (no outages, less CPU)"
    )
    args = p.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(serve(args))
    return 130


if __name__ == "__main__":
    sys.exit(main())
