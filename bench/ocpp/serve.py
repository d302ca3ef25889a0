"""One central system under test, in its own process (started by the bench).

    python bench/ocpp/serve.py {ours,bare} --chargers N --clock ANCHOR
        --port-file F --timings F [--db F]

``ours`` is :class:`edge.ocpp.service.OcppService` (the composition root's
central system: sessions, statuses and the OCPI outbox in a real SQLite file,
idTags decided by the site's authorizer); ``bare`` is :mod:`bare`. Both are
timed by :mod:`timing`; on SIGTERM the timings go to ``--timings``.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Callable
from pathlib import Path

from timing import Timings

from edge.auth.authorizer import Authorizer, LocalToken
from edge.config.ocpp import OcppSection
from edge.model.clock import ScaledClock
from edge.store.db import Database


def identity(n: int) -> str:
    return f"CP{n:03d}"


def card(n: int) -> str:
    return f"04A1B2C3{n:06X}"


def section(chargers: int) -> OcppSection:
    return OcppSection.model_validate(
        {
            "listen_port": 0,
            "heartbeat_interval_s": 300,
            "call_timeout_s": 300,
            "charger": [
                {
                    "identity": identity(n),
                    "connector": [{"id": 1, "evse_uid": f"{identity(n)}-1"}],
                }
                for n in range(chargers)
            ],
        }
    )


async def serve_ours(
    args: argparse.Namespace,
    clock: ScaledClock,
    timings: Timings,
    listening: Callable[[int], None],
) -> None:
    from edge.ocpp import server
    from edge.ocpp.service import OcppService

    # bench instrumentation: time each frame at the server's link
    recv, send = server._WsLink.recv, server._WsLink.send

    async def timed_recv(self: server._WsLink) -> str | bytes:
        text = await recv(self)
        timings.arrived(id(self), text)
        return text

    async def timed_send(self: server._WsLink, text: str) -> None:
        timings.answered(id(self), text)
        await send(self, text)

    server._WsLink.recv = timed_recv  # type: ignore[method-assign]
    server._WsLink.send = timed_send  # type: ignore[method-assign]
    db = await Database.open(Path(args.db))
    try:
        tokens = [LocalToken(card(n)) for n in range(args.chargers)]
        authorizer = Authorizer(db, clock, tokens)
        await authorizer.start()
        service = OcppService(section(args.chargers), clock, db, authorizer)
        await service.run(lambda srv: listening(srv.port))
    finally:
        await db.close()


async def main(args: argparse.Namespace) -> None:
    def listening(port: int) -> None:
        Path(args.port_file).write_text(str(port))

    clock = ScaledClock.from_anchor(args.clock)
    timings = Timings()
    if args.kind == "ours":
        work = serve_ours(args, clock, timings, listening)
    else:
        from bare import serve_bare

        work = serve_bare(clock, timings, listening)
    task = asyncio.create_task(work)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    done, _ = await asyncio.wait(
        [task, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED
    )
    timings.dump(Path(args.timings))
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    if task in done:
        task.result()


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("kind", choices=["ours", "bare"])
    p.add_argument("--chargers", type=int, required=True)
    p.add_argument("--clock", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--timings", required=True)
    p.add_argument("--db")
    asyncio.run(main(p.parse_args()))
