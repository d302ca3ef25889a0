"""The eMSP's commands: synchronous answer, site port, CommandResult callback."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from edge.model.commands import CommandOutcome, CommandResult, CommandToken
from edge.ocpi import CommandResultType, CommandType
from hal_sim.backoffice.client import PeerStatusError
from hal_sim.backoffice.cpo import CpoPeer
from hal_sim.backoffice.faults import Fault
from hal_sim.backoffice.tokens import sample_tokens
from tests.integration.ocpi_rig import T0, Rig, rig, until


class FakeSite:
    """The SiteCommands port, recording calls; answers as told."""

    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []
        self.active = {"S1": "E1"}
        self.outcome = CommandResult(CommandOutcome.ACCEPTED)
        self.hang = False
        self.canceled: Callable[[str, str], None] | None = None

    def has_evse(self, evse_uid: str) -> bool:
        return evse_uid in ("E1", "E2")

    def session_evse(self, session_id: str) -> str | None:
        return self.active.get(session_id)

    async def _answer(self, *call: object) -> CommandResult:
        self.calls.append(call)
        if self.hang:
            await asyncio.Event().wait()
        return self.outcome

    async def start_session(
        self, evse_uid: str, token: CommandToken, ref: str | None, timeout_s: float
    ) -> CommandResult:
        return await self._answer("start", evse_uid, token, ref)

    async def stop_session(self, session_id: str, timeout_s: float) -> CommandResult:
        return await self._answer("stop", session_id)

    async def unlock_connector(
        self, evse_uid: str, connector_id: str, timeout_s: float
    ) -> CommandResult:
        return await self._answer("unlock", evse_uid, connector_id)

    async def reserve_now(
        self,
        reservation_id: str,
        evse_uid: str | None,
        token: CommandToken,
        expiry: datetime,
        ref: str | None,
        timeout_s: float,
    ) -> CommandResult:
        return await self._answer("reserve", reservation_id, evse_uid, expiry)

    async def cancel_reservation(
        self, reservation_id: str, timeout_s: float
    ) -> CommandResult:
        return await self._answer("cancel", reservation_id)

    def on_reservation_canceled(self, callback: Callable[[str, str], None]) -> None:
        self.canceled = callback


TOKEN = sample_tokens(1, T0)[0].model_dump_ocpi()


def results(r: Rig, command_id: str) -> list[CommandResultType]:
    return [x.result for x in r.bo.state.command_results.get(command_id, [])]


async def test_start_stop_unlock_with_results(tmp_path: Path) -> None:
    site = FakeSite()
    async with rig(tmp_path, speed=30.0, start=False) as r:
        await r.start(commands=site)
        peer = CpoPeer(r.bo.backoffice)
        assert ("commands", "RECEIVER") in await peer.published()
        sent = await peer.command(
            CommandType.START_SESSION,
            {"token": TOKEN, "location_id": "LOC1", "evse_uid": "E2",
             "authorization_reference": "REF1"},
        )  # fmt: skip
        assert sent.response.result.value == "ACCEPTED"
        assert sent.response.timeout > 0
        await until(lambda: results(r, sent.command_id) == [CommandResultType.ACCEPTED])
        _, evse, token, ref = site.calls[0]
        assert (evse, ref) == ("E2", "REF1")
        assert isinstance(token, CommandToken)
        assert (token.uid, token.type, token.party_id) == (TOKEN["uid"], "RFID", "MSP")
        stop = await peer.command(CommandType.STOP_SESSION, {"session_id": "S9"})
        assert stop.response.result.value == "UNKNOWN_SESSION"
        site.outcome = CommandResult(CommandOutcome.EVSE_OCCUPIED, "cable stuck")
        stop = await peer.command(CommandType.STOP_SESSION, {"session_id": "S1"})
        assert stop.response.result.value == "ACCEPTED"
        await until(lambda: bool(results(r, stop.command_id)))
        got = r.bo.state.command_results[stop.command_id][0]
        assert got.result is CommandResultType.EVSE_OCCUPIED
        assert got.message[0].text == "cable stuck"
        unlock = {"location_id": "LOC1", "evse_uid": "E1", "connector_id": "1"}
        assert (await peer.command(CommandType.UNLOCK_CONNECTOR, unlock)).response
        await until(lambda: ("unlock", "E1", "1") in site.calls)


async def test_unknown_places_and_bad_bodies(tmp_path: Path) -> None:
    site = FakeSite()
    async with rig(tmp_path, speed=30.0, start=False) as r:
        await r.start(commands=site)
        peer = CpoPeer(r.bo.backoffice)
        for body in (
            {"token": TOKEN, "location_id": "ELSEWHERE"},
            {"token": TOKEN, "location_id": "LOC1", "evse_uid": "E9"},
            {
                "token": TOKEN,
                "location_id": "LOC1",
                "evse_uid": "E1",
                "connector_id": "7",
            },
        ):
            with pytest.raises(PeerStatusError) as err:
                await peer.command(CommandType.START_SESSION, body)
            assert err.value.status_code == 2003
        with pytest.raises(PeerStatusError, match=r"start_session\.token: required"):
            await peer.command(CommandType.START_SESSION, {"location_id": "LOC1"})
        with pytest.raises(PeerStatusError, match="expiry_date"):
            await peer.command(
                CommandType.RESERVE_NOW,
                {"token": TOKEN, "location_id": "LOC1", "reservation_id": "R1",
                 "expiry_date": "tomorrow"},
            )  # fmt: skip
        # a START_SESSION without an EVSE at a two-EVSE site
        sent = await peer.command(
            CommandType.START_SESSION, {"token": TOKEN, "location_id": "LOC1"}
        )
        assert sent.response.result.value == "REJECTED"
        assert site.calls == []


async def test_reservation_canceled_by_the_site_and_timeouts(tmp_path: Path) -> None:
    site = FakeSite()
    async with rig(tmp_path, speed=30.0, start=False) as r:
        await r.start(commands=site)
        peer = CpoPeer(r.bo.backoffice)
        expiry = r.clock.utcnow() + timedelta(hours=1)
        sent = await peer.command(
            CommandType.RESERVE_NOW,
            {"token": TOKEN, "location_id": "LOC1", "reservation_id": "R1",
             "evse_uid": "E1", "expiry_date": expiry.strftime("%Y-%m-%dT%H:%M:%SZ")},
        )  # fmt: skip
        assert sent.response.result.value == "ACCEPTED"
        await until(lambda: results(r, sent.command_id) == [CommandResultType.ACCEPTED])
        assert site.canceled is not None
        site.canceled("R1", "EVSE out of order")
        await until(lambda: len(results(r, sent.command_id)) == 2)
        assert results(r, sent.command_id)[1] is CommandResultType.CANCELED_RESERVATION
        # the EVSE never answers: TIMEOUT, delivered through two HTTP 500s
        site.hang = True
        r.bo.faults.inject(Fault.HTTP_500, 2, "commands")
        unlock = {"location_id": "LOC1", "evse_uid": "E2", "connector_id": "1"}
        sent = await peer.command(CommandType.UNLOCK_CONNECTOR, unlock)
        await until(lambda: results(r, sent.command_id) == [CommandResultType.TIMEOUT])
        spoiled = [i for i in r.bo.faults.served if i.module == "commands"]
        assert len(spoiled) == 2  # both HTTP 500s were answered, then it went through


async def test_without_a_site_port_commands_are_not_supported(tmp_path: Path) -> None:
    async with rig(tmp_path) as r:
        peer = CpoPeer(r.bo.backoffice)
        assert ("commands", "RECEIVER") not in await peer.published()
        base = (await peer.url("tokens", "RECEIVER")).replace("/tokens", "/commands")
        sent = await peer.command(
            CommandType.STOP_SESSION, {"session_id": "S1"}, base=base
        )
        assert sent.response.result.value == "NOT_SUPPORTED"
        await asyncio.sleep(0.2)
        assert r.bo.state.command_results == {}
