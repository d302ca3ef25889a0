"""The bare central system: the ``ocpp`` package's ChargePoint over ``websockets``.

It answers every 1.6 message the bench's chargers send with the least the
schema allows (Accepted, a counter for transactionId) and stores nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action
from timing import Timings
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from edge.model.clock import Clock

_TX = itertools.count(1)
_F = TypeVar("_F", bound=Callable[..., Awaitable[object]])


def _on(action: str) -> Callable[[_F], _F]:
    """The package's ``@on``, typed."""
    decorator: Callable[[_F], _F] = on(action)
    return decorator


class _Timed:
    """The websocket as the package's ChargePoint wants it, timed."""

    def __init__(self, ws: ServerConnection, timings: Timings) -> None:
        self._ws = ws
        self._t = timings

    async def recv(self) -> str | bytes:
        text = await self._ws.recv()
        self._t.arrived(id(self), text)
        return text

    async def send(self, text: str) -> None:
        self._t.answered(id(self), text)
        await self._ws.send(text)


def _bare(clock: Clock) -> type[Any]:
    def now() -> str:
        return clock.utcnow().isoformat(timespec="seconds").replace("+00:00", "Z")

    class Bare(ChargePoint):  # type: ignore[misc]
        @_on(Action.boot_notification)
        async def on_boot(self, **_: object) -> object:
            return call_result.BootNotification(
                current_time=now(), interval=300, status="Accepted"
            )

        @_on(Action.heartbeat)
        async def on_heartbeat(self, **_: object) -> object:
            return call_result.Heartbeat(current_time=now())

        @_on(Action.status_notification)
        async def on_status(self, **_: object) -> object:
            return call_result.StatusNotification()

        @_on(Action.authorize)
        async def on_authorize(self, **_: object) -> object:
            return call_result.Authorize(id_tag_info={"status": "Accepted"})

        @_on(Action.start_transaction)
        async def on_start(self, **_: object) -> object:
            return call_result.StartTransaction(
                transaction_id=next(_TX), id_tag_info={"status": "Accepted"}
            )

        @_on(Action.meter_values)
        async def on_meter_values(self, **_: object) -> object:
            return call_result.MeterValues()

        @_on(Action.stop_transaction)
        async def on_stop(self, **_: object) -> object:
            return call_result.StopTransaction()

    return Bare


async def serve_bare(
    clock: Clock, timings: Timings, listening: Callable[[int], None]
) -> None:
    """Serve on a loopback port until cancelled."""
    bare = _bare(clock)

    async def handler(ws: ServerConnection) -> None:
        path = "" if ws.request is None else ws.request.path
        cp = bare(path.strip("/"), _Timed(ws, timings))
        with contextlib.suppress(ConnectionClosed):
            await cp.start()

    async with serve(
        handler, "127.0.0.1", 0, subprotocols=[Subprotocol("ocpp1.6")]
    ) as server:
        listening(next(iter(server.sockets)).getsockname()[1])
        await asyncio.Future()
