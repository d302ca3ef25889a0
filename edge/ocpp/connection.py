"""One open websocket of one charger: its frames read, checked and answered.

A :class:`ChargerConnection` reads the charger's frames in order: a CALL is
validated against its schema (formats included), answered by the handlers of
the connection's subprotocol (:mod:`.routes`), and its answer validated too;
a CALLRESULT or CALLERROR goes to our call in flight (:mod:`.calls.outgoing`).
A frame that breaks the rules gets the CALLERROR the version names, with a
log line; nothing a charger sends ends the connection or the site.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any

from edge.config.ocpp import OcppProtocol
from edge.logthrottle import Throttle
from edge.ocpp import frames
from edge.ocpp.calls.outgoing import OutgoingCalls
from edge.ocpp.deviations import Tolerances
from edge.ocpp.handlers.refusal import PayloadRefused
from edge.ocpp.link import Link, LinkClosed
from edge.ocpp.routes import HANDLERS, ChargerContext

log = logging.getLogger(__name__)


class ChargerConnection:
    """One open websocket of one charger."""

    def __init__(
        self,
        ctx: ChargerContext,
        link: Link,
        quiet: Throttle,
        tolerances: Tolerances | None = None,
    ) -> None:
        """``tolerances``: the charger model's known deviations (None: none)."""
        self.charger = ctx.charger
        self._quiet = quiet
        self.tolerances = tolerances or Tolerances(ctx.charger.protocol, None)
        self._logged: set[str] = set()
        self.protocol: OcppProtocol = ctx.charger.protocol
        self.link = link
        self.routes = HANDLERS[self.protocol](ctx)
        self.calls = OutgoingCalls(
            ctx.charger.identity, self.protocol, link.send, ctx.clock
        )
        self.ready = asyncio.Event()
        """Set once the charger's first CALL is answered: we may call it now."""
        self.booted = False
        """Whether this connection began with an accepted BootNotification."""

    @property
    def identity(self) -> str:
        """The charge point identity."""
        return self.charger.identity

    async def run(self) -> None:
        """Read and answer frames until the websocket closes."""
        try:
            while True:
                frame = await self.link.recv()
                if isinstance(frame, bytes):
                    self._quiet.log(
                        logging.WARNING,
                        (self.identity, "binary"),
                        "OCPP %s: binary frame of %d bytes ignored (OCPP-J is text)",
                        self.identity,
                        len(frame),
                    )
                    continue
                await self._on_text(frame)
        except LinkClosed:
            pass
        finally:
            self.calls.close()

    async def _on_text(self, text: str) -> None:
        match frames.parse(text, self.protocol):
            case frames.IncomingCall() as call:
                await self._answer(call)
            case frames.IncomingResult() | frames.IncomingError() as answer:
                self.calls.take(answer)
            case frames.Garbled(unique_id, code, reason):
                self._quiet.log(
                    logging.WARNING,
                    (self.identity, "garbled", reason),
                    "OCPP %s: malformed frame (%s: %s)%s",
                    self.identity,
                    code,
                    reason,
                    "" if unique_id else "; no uniqueId to answer, ignored",
                )
                if unique_id is not None:
                    await self._send_error(unique_id, code, reason)

    async def _answer(self, call: frames.IncomingCall) -> None:
        mended = self.tolerances.mend(call.action, call.payload)
        violation = frames.check(
            self.protocol, call.action, mended.payload, result=False
        )
        if violation is not None:
            self._quiet.log(
                logging.WARNING,
                (self.identity, frames.shown(call.action), violation.code),
                "OCPP %s: %s refused with %s: %s",
                self.identity,
                frames.shown(call.action),
                violation.code,
                violation.reason,
            )
            await self._send_error(call.unique_id, violation.code, violation.reason)
            return
        self._tolerated(call.action, mended.fired)
        handler = self.routes.handlers.get(call.action)
        if handler is None:
            self._quiet.log(
                logging.INFO,
                (self.identity, call.action, "unsupported"),
                "OCPP %s: %s is not supported (yet)",
                self.identity,
                call.action,
            )
            await self._send_error(
                call.unique_id,
                frames.ErrorCode.NOT_SUPPORTED,
                f"{call.action} is not supported by this central system",
            )
            return
        try:
            answer = handler(mended.payload)
            reply = await answer if inspect.isawaitable(answer) else answer
        except PayloadRefused as refused:
            v = refused.violation
            self._quiet.log(
                logging.WARNING,
                (self.identity, call.action, v.code),
                "OCPP %s: %s refused with %s: %s",
                self.identity,
                call.action,
                v.code,
                v.reason,
            )
            await self._send_error(call.unique_id, v.code, v.reason)
            return
        except Exception:  # a handler's bug must not end the link (logged)
            log.exception("OCPP %s: answering %s failed", self.identity, call.action)
            await self._send_error(
                call.unique_id,
                frames.ErrorCode.INTERNAL_ERROR,
                "the central system failed",
            )
            return
        await self._reply(call, reply)
        if not self.ready.is_set():
            self.booted = (
                call.action == "BootNotification" and reply.get("status") == "Accepted"
            )
            self.ready.set()

    def _tolerated(self, action: str, fired: tuple[str, ...]) -> None:
        """Count each deviation that fired; log its first fire on this link."""
        profile = self.tolerances.profile
        for name in fired:
            self.tolerances.counts[name] += 1
            if name in self._logged or profile is None:
                continue
            self._logged.add(name)
            log.warning(
                "OCPP %s: %s tolerated: deviation %s of model %s (%s %s), counted; "
                "logged once on this connection",
                self.identity,
                action,
                name,
                profile.id,
                profile.manufacturer,
                profile.model,
            )

    async def _reply(self, call: frames.IncomingCall, reply: dict[str, Any]) -> None:
        bad = frames.check(self.protocol, call.action, reply, result=True)
        if bad is not None:
            log.error(
                "OCPP %s: our answer to %s breaks its schema: %s",
                self.identity,
                call.action,
                bad.reason,
            )
            await self._send_error(
                call.unique_id,
                frames.ErrorCode.INTERNAL_ERROR,
                "the central system failed",
            )
            return
        await self._send(frames.result_frame(call.unique_id, reply))

    async def _send_error(
        self, unique_id: str, code: frames.ErrorCode, description: str
    ) -> None:
        await self._send(frames.error_frame(unique_id, code, description))

    async def _send(self, text: str) -> None:
        try:
            await self.link.send(text)
        except LinkClosed:
            log.info("OCPP %s: closed before our answer was sent", self.identity)
