"""Our Commands Receiver interface: the eMSP asks the site to act.

``POST {commands_url}/{START_SESSION|STOP_SESSION|RESERVE_NOW|CANCEL_RESERVATION|
UNLOCK_CONNECTOR}``. The command object is validated (OCPI 2001 naming the bad
field), checked against the site (a location, EVSE or connector we do not have is
OCPI 2003; a STOP_SESSION for no active session is UNKNOWN_SESSION) and answered
at once with a CommandResponse. An ACCEPTED command then runs through the site's
:class:`~edge.model.commands.SiteCommands` port in a task this receiver owns, and
its CommandResult is POSTed to the command's ``response_url``
(:mod:`.command_results`). Without a site port every command is NOT_SUPPORTED. A
``response_url`` that is not an origin of the registered backoffice (nor in
``[ocpi] allowed_origins``), or not http(s), makes the command REJECTED, naming
why, and nothing is carried out or called.

Choices: the EVSE gets ``action_timeout_s`` site seconds to act (by default
:data:`ACTION_TIMEOUT_S`; the composition root may pass one derived from the
EVSEs' plug window) and the result :data:`DELIVERY_S` more to reach the eMSP; the
CommandResponse's ``timeout`` is their sum. The action time must exceed the
EVSE's plug window (``EvseSettings.auth_window_s``): a START_SESSION sent before
the EV is plugged in waits that long at the EVSE, and ends with the EVSE's own
answer (ACCEPTED on plug-in, FAILED when the window passes), never with our
TIMEOUT cutting a start that would still have happened. A START_SESSION
without ``evse_uid`` is taken at a one-EVSE site and REJECTED elsewhere.
Reservations that the site cancels are reported as CANCELED_RESERVATION to their
RESERVE_NOW's ``response_url``, kept in memory until the reservation expires
(lost on restart, as the reservation's own state is the site's business).
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from edge.model.clock import Clock
from edge.model.commands import CommandOutcome, CommandToken, SiteCommands
from edge.model.commands import CommandResult as SiteResult
from edge.ocpi import (
    CancelReservation,
    CommandResponse,
    CommandResponseType,
    CommandResult,
    CommandResultType,
    CommandType,
    DisplayText,
    ReserveNow,
    StartSession,
    StopSession,
    Token,
    UnlockConnector,
)
from edge.uplink.ocpi.push import mapping as m
from edge.uplink.ocpi.serve.answer import (
    Answer,
    invalid,
    invalid_object,
    json_object,
    shown,
    unknown_location,
)
from edge.uplink.ocpi.serve.command_results import ResultPoster

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
ACTION_TIMEOUT_S = 90.0
"""Site seconds the EVSE gets to carry out a command, by default: more than the
EVSE's plug window (``auth_window_s``, 60 s), with room for a Modbus round."""
PLUG_MARGIN_S = 30.0
"""What :func:`action_timeout_for` adds to a plug window."""
DELIVERY_S = 30
"""Site seconds after that for the result to reach the eMSP."""
MODELS: dict[CommandType, type[BaseModel]] = {
    CommandType.START_SESSION: StartSession,
    CommandType.STOP_SESSION: StopSession,
    CommandType.RESERVE_NOW: ReserveNow,
    CommandType.CANCEL_RESERVATION: CancelReservation,
    CommandType.UNLOCK_CONNECTOR: UnlockConnector,
}
Action = Callable[[], Awaitable[SiteResult]]


@dataclass(frozen=True)
class Job:
    """An accepted command: where its result goes and what the site must do."""

    response_url: str
    action: Action
    reserves: tuple[str, datetime] | None = None
    """RESERVE_NOW: (reservation_id, expiry)."""
    cancels: str | None = None
    """CANCEL_RESERVATION: the reservation_id."""


def action_timeout_for(plug_window_s: float) -> float:
    """The action time for EVSEs that wait ``plug_window_s`` for a plug-in."""
    return plug_window_s + PLUG_MARGIN_S


def command_token(token: Token) -> CommandToken:
    """The eMSP's Token as the site records it on the session."""
    return CommandToken(
        uid=token.uid,
        type=token.type.value,
        contract_id=token.contract_id,
        country_code=token.country_code,
        party_id=token.party_id,
        group_id=token.group_id,
        visual_number=token.visual_number,
        issuer=token.issuer,
    )


def _text(message: str) -> list[DisplayText]:
    return [DisplayText(language="en", text=m.fit(message, 512))] if message else []


def ocpi_result(result: SiteResult) -> CommandResult:
    """The site's outcome as an OCPI CommandResult."""
    return CommandResult(result=result.outcome, message=_text(result.message))


class CommandsReceiver:
    """Validate, answer, run and report the eMSP's commands."""

    def __init__(
        self,
        site: SiteCommands | None,
        ctx: m.SiteContext,
        clock: Clock,
        results: ResultPoster,
        action_timeout_s: float = ACTION_TIMEOUT_S,
    ) -> None:
        self.site = site
        self.ctx = ctx
        self.clock = clock
        self.results = results
        self.action_s = action_timeout_s
        """Site seconds the EVSE gets to act."""
        self.timeout_s = math.ceil(action_timeout_s + DELIVERY_S)
        """The CommandResponse's ``timeout``: acting, then delivering the result."""
        self._tasks: asyncio.TaskGroup | None = None
        self._reservations: dict[str, tuple[str, datetime]] = {}
        """reservation_id -> (RESERVE_NOW response_url, expiry)."""
        if site is not None:
            site.on_reservation_canceled(self._canceled)

    async def run(self) -> None:
        """Own the tasks that carry out commands, until cancelled."""
        async with asyncio.TaskGroup() as tg:
            self._tasks = tg
            try:
                await asyncio.Event().wait()
            finally:
                self._tasks = None

    # ---- the synchronous answer ------------------------------------------------
    def _response(self, kind: CommandResponseType, message: str = "") -> Answer:
        timeout = self.timeout_s if kind is CommandResponseType.ACCEPTED else 0
        body = CommandResponse(result=kind, timeout=timeout, message=_text(message))
        return Answer(data=body.model_dump_ocpi())

    def _location(self, location_id: str) -> None:
        if location_id.upper() != self.ctx.location_id.upper():
            raise unknown_location(f"location {location_id}", 200)

    def _evse(self, site: SiteCommands, uid: str) -> None:
        if not site.has_evse(uid):
            raise unknown_location(
                f"EVSE {uid} at location {self.ctx.location_id}", 200
            )

    def _connector(self, evse_uid: str, connector_id: str) -> None:
        if connector_id.upper() != m.CONNECTOR_ID:
            raise unknown_location(f"connector {connector_id} of EVSE {evse_uid}", 200)

    async def post(self, request: Request) -> Answer:
        """POST a command: validate, check, answer; run it if ACCEPTED."""
        name = str(request.path_params["command"])
        try:
            kind = CommandType(name)
        except ValueError as exc:
            known = ", ".join(c.value for c in CommandType)
            raise invalid(
                f"unknown command {shown(name)} (one of {known})", http_status=404
            ) from exc
        body = await json_object(request, kind.value.lower())
        try:
            cmd = MODELS[kind].model_validate(body)
        except ValidationError as exc:
            raise invalid_object(exc, kind.value.lower()) from exc
        site = self.site
        if site is None:
            return self._response(
                CommandResponseType.NOT_SUPPORTED, "remote commands are not enabled"
            )
        job = self._check(site, cmd)
        if isinstance(job, Answer):
            return job
        if (refused := self.results.refusal(job.response_url)) is not None:
            log.warning("command %s rejected: response_url %s: %s",
                        kind.value, job.response_url, refused)  # fmt: skip
            return self._response(
                CommandResponseType.REJECTED, f"response_url refused: {refused}"
            )
        tasks = self._tasks
        if tasks is None:
            return self._response(CommandResponseType.REJECTED, "not ready, try again")
        deadline = self.clock.monotonic() + self.timeout_s
        tasks.create_task(
            self._carry_out(kind, job, deadline),
            name=f"ocpi command {kind.value}",
        )
        log.info("command %s accepted", kind.value)
        return self._response(CommandResponseType.ACCEPTED)

    def _check(self, site: SiteCommands, cmd: BaseModel) -> Answer | Job:
        """The answer for a command refused now, else what to run."""
        t = self.action_s
        if isinstance(cmd, StartSession):
            self._location(cmd.location_id)
            evse_uid = cmd.evse_uid
            if evse_uid is None:
                if len(self.ctx.evses) != 1:
                    return self._response(
                        CommandResponseType.REJECTED,
                        f"give evse_uid: this location has {len(self.ctx.evses)} EVSEs",
                    )
                evse_uid = next(iter(self.ctx.evses))
            self._evse(site, evse_uid)
            if cmd.connector_id is not None:
                self._connector(evse_uid, cmd.connector_id)
            token, ref, uid = (
                command_token(cmd.token),
                cmd.authorization_reference,
                evse_uid,
            )
            return Job(cmd.response_url, lambda: site.start_session(uid, token, ref, t))
        if isinstance(cmd, StopSession):
            if site.session_evse(cmd.session_id) is None:
                return self._response(
                    CommandResponseType.UNKNOWN_SESSION,
                    f"no active session {cmd.session_id} at this site",
                )
            sid = cmd.session_id
            return Job(cmd.response_url, lambda: site.stop_session(sid, t))
        if isinstance(cmd, UnlockConnector):
            self._location(cmd.location_id)
            self._evse(site, cmd.evse_uid)
            self._connector(cmd.evse_uid, cmd.connector_id)
            uid, cid = cmd.evse_uid, cmd.connector_id
            return Job(cmd.response_url, lambda: site.unlock_connector(uid, cid, t))
        if isinstance(cmd, ReserveNow):
            self._location(cmd.location_id)
            if cmd.evse_uid is not None:
                self._evse(site, cmd.evse_uid)
            if cmd.expiry_date <= self.clock.utcnow():
                return self._response(
                    CommandResponseType.REJECTED, "expiry_date is in the past"
                )
            r = cmd
            token = command_token(cmd.token)

            def reserve() -> Awaitable[SiteResult]:
                return site.reserve_now(
                    r.reservation_id, r.evse_uid, token, r.expiry_date,
                    r.authorization_reference, t,
                )  # fmt: skip

            return Job(cmd.response_url, reserve, (r.reservation_id, r.expiry_date))
        assert isinstance(cmd, CancelReservation)  # noqa: S101 - MODELS is closed
        rid = cmd.reservation_id
        return Job(
            cmd.response_url, lambda: site.cancel_reservation(rid, t), cancels=rid
        )

    # ---- the asynchronous result ------------------------------------------------
    async def _carry_out(self, kind: CommandType, job: Job, deadline: float) -> None:
        if job.reserves is not None:
            self._remember(job.reserves[0], job.response_url, job.reserves[1])
        try:
            # The site answers TIMEOUT itself at action_s; this is the backstop.
            async with asyncio.timeout(self.clock.to_wall(self.action_s + 1)):
                outcome = await job.action()
        except TimeoutError:
            outcome = SiteResult(CommandOutcome.TIMEOUT, "the EVSE did not answer")
        except Exception:
            log.exception("command %s failed at the site", kind.value)
            outcome = SiteResult(CommandOutcome.FAILED, "internal error at the site")
        accepted = outcome.outcome is CommandOutcome.ACCEPTED
        if job.reserves is not None and not accepted:
            self._reservations.pop(job.reserves[0], None)
        if job.cancels is not None and accepted:
            self._reservations.pop(job.cancels, None)
        log.info(
            "command %s: %s %s", kind.value, outcome.outcome.value, outcome.message
        )
        await self.results.post(job.response_url, ocpi_result(outcome), deadline)

    def _remember(self, reservation_id: str, url: str, expiry: datetime) -> None:
        now = self.clock.utcnow()
        for rid, (_, until) in list(self._reservations.items()):
            if until <= now:
                del self._reservations[rid]
        self._reservations[reservation_id] = (url, expiry)

    def _canceled(self, reservation_id: str, reason: str) -> None:
        """The site dropped a reservation: tell the eMSP that reserved it."""
        found = self._reservations.pop(reservation_id, None)
        tasks = self._tasks
        if found is None or tasks is None:
            log.warning("reservation %s canceled (%s) but no RESERVE_NOW to report "
                        "it to", reservation_id, reason)  # fmt: skip
            return
        result = CommandResult(
            result=CommandResultType.CANCELED_RESERVATION, message=_text(reason)
        )
        deadline = self.clock.monotonic() + self.timeout_s
        tasks.create_task(
            self.results.post(found[0], result, deadline),
            name=f"ocpi reservation {reservation_id} canceled",
        )
