"""One OCPP behaviour said once for 1.6 and 2.0.1: the rig of its twin tests.

The central system as a service (real SQLite, the authorizer as its token
source) on a loopback port, and hal_sim's charger of either version to meet
it over a real websocket: :data:`V16` (a 1.6J charge point) and :data:`V201`
(a 2.0.1 station) say what differs between them, so that a test
parametrized over :data:`VERSIONS` tells the behaviour once
(test_ocpp_profiles.py, test_ocpp_local_list.py). Site time is a
:class:`StallFreeClock`: a bound in site seconds holds however slowly the
loaded machine runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from edge.auth.authorizer import Authorizer, LocalToken
from edge.config.ocpp import OcppSection
from edge.model.clock import StallFreeClock
from edge.ocpp.evse import OcppEvse, ocpp_evses
from edge.ocpp.server import OcppServer
from edge.ocpp.service import OcppService
from edge.store import ocpp_local_lists as repo
from edge.store.db import Database
from edge.store.ocpp_local_lists import HeldList
from hal_sim.ocpp.charge_point import SimChargePoint
from hal_sim.ocpp.charge_point_201 import SimChargingStation
from hal_sim.ocpp.link import LinkLost, open_link
from tests.integration.ocpp_rig import PASSWORD, TOKENS

Charger = SimChargePoint | SimChargingStation
FAILSAFE_A = 8.0
"""The failsafe current of each version's first charger (CP002, CS202)."""


def clock(speed: float) -> StallFreeClock:
    """Site time from 2026-03-02 08:00 UTC, ``speed`` times wall time."""
    return StallFreeClock(speed=speed, start=datetime(2026, 3, 2, 8, tzinfo=UTC))


def twins(tmp_path: Path, **extra: object) -> OcppSection:
    """CP001 (a password) and CP002 speak 1.6; CS201 and CS202 2.0.1.

    One connector each (``<identity>-1``); the first charger of each version
    has a failsafe of :data:`FAILSAFE_A`.
    """
    pw = tmp_path / "cp001.password"
    pw.write_text(PASSWORD + "\n")
    pw.chmod(0o600)

    def charger(identity: str, protocol: str, **more: object) -> dict[str, object]:
        uid = f"{identity}-1"
        return {
            "identity": identity,
            "protocol": protocol,
            "connector": [{"id": 1, "evse_uid": uid}],
            **more,
        }

    raw: dict[str, object] = {
        "listen_port": 0,
        "heartbeat_interval_s": 120,
        "charger": [
            charger("CP001", "ocpp1.6", password_file=str(pw)),
            charger("CP002", "ocpp1.6", failsafe_current_a=FAILSAFE_A),
            charger("CS201", "ocpp2.0.1"),
            charger("CS202", "ocpp2.0.1", failsafe_current_a=FAILSAFE_A),
        ],
    }
    raw.update(extra)
    return OcppSection.model_validate(raw)


@dataclass(frozen=True)
class Version:
    """What differs between a 1.6J charge point and a 2.0.1 station."""

    name: str
    identity: str
    """Its charger with a failsafe (CP002, CS202)."""
    other: str
    """A second charger of the version (CP001 with a password, CS201)."""
    subprotocol: str
    make: Callable[..., Charger]
    max_profile: str
    """The purpose of the profiles on the whole charger (connector/EVSE 0)."""
    unknown: str
    """What its local list decides for a card not on it."""
    sent: Callable[[Any], list[tuple[int, dict[str, Any]]]]
    """Every SetChargingProfile as sent: (connector or EVSE, chargingProfile)."""
    periods: Callable[[dict[str, Any]], list[dict[str, Any]]]
    """A sent profile's schedule periods."""
    start: Callable[[Any, str, float], Awaitable[Any]]
    """(charger, card, meter Wh): a transaction on connector 1, its transactionId."""
    send_at_most: Callable[[Any, int], None]
    """(charger, n): it takes at most n local list entries per message."""

    def __str__(self) -> str:
        return self.name

    def purposes(self, cp: Any) -> list[tuple[int, str]]:
        """(connector or EVSE, purpose) of every SetChargingProfile sent."""
        return [(c, p["charging_profile_purpose"]) for c, p in self.sent(cp)]


async def _start_16(cp: SimChargePoint, card: str, meter_wh: float) -> int:
    tx_id = (await cp.start_transaction(1, card, int(meter_wh))).transaction_id
    # a 1.6J charger knows which transaction its connector runs
    cp.state.profiles.has_transaction = lambda c: tx_id if c == 1 else None
    return tx_id


async def _start_201(cs: SimChargingStation, card: str, meter_wh: float) -> str:
    return (await cs.start_transaction(1, card, meter_wh)).transaction_id


def _send_at_most_16(cp: SimChargePoint, entries: int) -> None:
    cp.state.list_limits(1000, entries)  # SendLocalListMaxLength


def _send_at_most_201(cs: SimChargingStation, entries: int) -> None:
    cs.state.local_list.send_max = entries  # ItemsPerMessage


V16 = Version(
    name="1.6",
    identity="CP002",
    other="CP001",
    subprotocol="ocpp1.6",
    make=SimChargePoint,
    max_profile="ChargePointMaxProfile",
    unknown="Invalid",
    sent=lambda cp: cp.state.profiles.received,
    periods=lambda p: p["charging_schedule"]["charging_schedule_period"],
    start=_start_16,
    send_at_most=_send_at_most_16,
)
V201 = Version(
    name="2.0.1",
    identity="CS202",
    other="CS201",
    subprotocol="ocpp2.0.1",
    make=SimChargingStation,
    max_profile="ChargingStationMaxProfile",
    unknown="Unknown",
    sent=lambda cs: cs.state.profiles_received,
    periods=lambda p: p["charging_schedule"][0]["charging_schedule_period"],
    start=_start_201,
    send_at_most=_send_at_most_201,
)
VERSIONS = pytest.mark.parametrize("v", [V16, V201], ids=str)
"""Parametrizes a test's ``v`` over both versions."""


@dataclass
class Controller:
    """The running central system, its store and its token source."""

    service: OcppService
    auth: Authorizer
    srv: OcppServer
    db: Database
    clock: StallFreeClock
    ports: dict[str, OcppEvse]

    async def connect(
        self, v: Version, identity: str | None = None, charger: Any = None
    ) -> tuple[Any, asyncio.Task[LinkLost]]:
        """``v``'s charger connected and running (not booted): it and its task.

        ``charger``: the same charger again (what it holds kept), on a new link.
        """
        ident = identity or v.identity
        password = PASSWORD.encode() if ident == "CP001" else None
        link = await open_link(
            self.srv.url("127.0.0.1", ident), ident, password, (v.subprotocol,)
        )
        if charger is None:
            charger = v.make(ident, link, self.clock)
        else:
            charger.reconnect(link)
        return charger, asyncio.create_task(charger.run())

    async def stored(self, identity: str, version: int) -> HeldList:
        """The store's record of ``identity``'s list, once it is at ``version``.

        The charger holds a list before the controller has its answer and
        records it: waiting on the charger's entries is not waiting on this.
        """
        for _ in range(500):
            stored = await self.db.run(lambda d: repo.load(d, identity))
            if stored is not None and stored.version == version:
                return stored
            await asyncio.sleep(0.01)
        raise AssertionError(f"never stored version {version} of {identity}")


@asynccontextmanager
async def controller(
    tmp_path: Path,
    cfg: OcppSection,
    site_clock: StallFreeClock,
    db: Database | None = None,
    cards: Sequence[LocalToken] = TOKENS,
) -> AsyncIterator[Controller]:
    """The central system of ``cfg`` running until the block ends.

    ``db``: the same store across restarts (the caller closes it).
    """
    store = db or await Database.open(tmp_path / "edge.db")
    auth = Authorizer(store, site_clock, cards)
    await auth.start()
    service = OcppService(cfg, site_clock, store, auth, tokens=auth)
    ports = ocpp_evses(service.central, profiles=service.profiles)
    bound: asyncio.Future[OcppServer] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(service.run(bound.set_result))
    srv = await bound
    try:
        async with site_clock.ticking():
            yield Controller(service, auth, srv, store, site_clock, ports)
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        if db is None:
            await store.close()


async def until(condition: Callable[[], object], what: str) -> None:
    """Wait (a wall-time guard of at least 30 s) until ``condition()`` holds."""
    for _ in range(3000):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never: {what}")
