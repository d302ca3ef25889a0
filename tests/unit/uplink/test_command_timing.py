"""The Commands receiver's time limits against the EVSE's plug window.

A START_SESSION sent before the EV is plugged in waits at the EVSE for up to
``auth_window_s``; the receiver must give it longer than that, and announce the
action time plus the delivery time as the CommandResponse's ``timeout``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime

from starlette.requests import Request  # noqa: TID251

from edge.config.loader import parse_config
from edge.evse.machine_state import EvseSettings
from edge.model.clock import ScaledClock
from edge.model.commands import CommandOutcome, CommandResult, CommandToken
from edge.ocpi import CommandResult as OcpiResult
from edge.ocpi import CommandResultType
from edge.ocpi.party import Party
from edge.uplink.ocpi.push import mapping as m
from edge.uplink.ocpi.serve import ResultPoster
from edge.uplink.ocpi.serve.commands_receiver import (
    ACTION_TIMEOUT_S,
    DELIVERY_S,
    CommandsReceiver,
    action_timeout_for,
)
from tests.unit.uplink.test_mapping import SITE

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
TOKEN = {
    "country_code": "DE",
    "party_id": "MSP",
    "uid": "APP1",
    "type": "APP_USER",
    "contract_id": "DE-MSP-C00000001",
    "issuer": "MSP",
    "valid": True,
    "whitelist": "ALLOWED",
    "last_updated": "2026-03-01T00:00:00Z",
}


class Results(ResultPoster):
    """Keeps what would be POSTed to the response_url."""

    def __init__(self) -> None:
        self.posted: list[OcpiResult] = []
        self.arrived = asyncio.Event()

    def refusal(self, url: str) -> str | None:
        return None  # https://emsp.example is taken as registered here

    async def post(self, url: str, result: OcpiResult, deadline: float) -> bool:
        self.posted.append(result)
        self.arrived.set()
        return True


class SlowPlug:
    """A site whose EVSE starts the session ``plug_s`` site seconds after asked."""

    def __init__(self, clock: ScaledClock, plug_s: float) -> None:
        self.clock = clock
        self.plug_s = plug_s
        self.given: list[float] = []

    def has_evse(self, evse_uid: str) -> bool:
        return evse_uid == "E1"

    def session_evse(self, session_id: str) -> str | None:
        return None

    async def start_session(
        self, evse_uid: str, token: CommandToken, ref: str | None, timeout_s: float
    ) -> CommandResult:
        self.given.append(timeout_s)
        if self.plug_s > timeout_s:  # as the EVSE does: its own answer at the limit
            await self.clock.sleep(timeout_s)
            return CommandResult(CommandOutcome.TIMEOUT)
        await self.clock.sleep(self.plug_s)
        return CommandResult(CommandOutcome.ACCEPTED)

    async def stop_session(self, session_id: str, timeout_s: float) -> CommandResult:
        raise NotImplementedError

    async def unlock_connector(
        self, evse_uid: str, connector_id: str, timeout_s: float
    ) -> CommandResult:
        raise NotImplementedError

    async def reserve_now(
        self,
        reservation_id: str,
        evse_uid: str | None,
        token: CommandToken,
        expiry: datetime,
        ref: str | None,
        timeout_s: float,
    ) -> CommandResult:
        raise NotImplementedError

    async def cancel_reservation(
        self, reservation_id: str, timeout_s: float
    ) -> CommandResult:
        raise NotImplementedError

    def on_reservation_canceled(self, callback: Callable[[str, str], None]) -> None:
        return None


def ctx() -> m.SiteContext:
    config = parse_config(SITE)
    return m.SiteContext(
        Party("NL", "EXA"), config.site, {"E1": config.evse[0]}, "EUR", "Depot BV"
    )


def start_request() -> Request:
    body = json.dumps(
        {"response_url": "https://emsp.example/r/1", "token": TOKEN,
         "location_id": "LOC1", "evse_uid": "E1"}
    ).encode()  # fmt: skip
    sent = False

    async def receive() -> dict[str, object]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/ocpi/cpo/2.2.1/commands/START_SESSION",
        "headers": [(b"content-type", b"application/json")],
        "path_params": {"command": "START_SESSION"},
    }
    return Request(scope, receive)


async def run_start(
    plug_s: float, **kw: float
) -> tuple[dict[str, object], list[OcpiResult], list[float]]:
    # The EVSE's answer (a site-clock sleep) races the receiver's limit (a wall
    # timeout of the action time): at x3000 they were 12 ms apart and a stalled
    # loop on a busy machine fired both at once, the limit winning. At x100 a
    # stall must exceed a third of a second to do that.
    clock = ScaledClock(100.0, T0)
    site, results = SlowPlug(clock, plug_s), Results()
    receiver = CommandsReceiver(site, ctx(), clock, results, **kw)
    task = asyncio.create_task(receiver.run())
    try:
        await asyncio.sleep(0)
        answer = await receiver.post(start_request())
        async with asyncio.timeout(5):
            await results.arrived.wait()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert isinstance(answer.data, dict)
    return answer.data, results.posted, site.given


def test_the_default_action_time_exceeds_the_evse_plug_window() -> None:
    window = EvseSettings("E1").auth_window_s
    assert window < ACTION_TIMEOUT_S
    assert action_timeout_for(window) > window


async def test_a_plug_in_late_in_the_window_is_accepted_not_timed_out() -> None:
    # The EV is plugged in 55 s after the command: within the EVSE's 60 s window.
    response, posted, given = await run_start(55.0)
    assert response == {
        "result": "ACCEPTED",
        "timeout": int(ACTION_TIMEOUT_S + DELIVERY_S),
    }
    assert given == [ACTION_TIMEOUT_S]
    assert [r.result for r in posted] == [CommandResultType.ACCEPTED]


async def test_an_action_time_derived_from_a_longer_window() -> None:
    action = action_timeout_for(120.0)
    response, posted, given = await run_start(110.0, action_timeout_s=action)
    assert response["timeout"] == int(action + DELIVERY_S)
    assert given == [action]
    assert [r.result for r in posted] == [CommandResultType.ACCEPTED]
    # and the same late plug-in with the default is the EVSE's TIMEOUT
    _, posted, _ = await run_start(110.0)
    assert [r.result for r in posted] == [CommandResultType.TIMEOUT]
