"""A simulated OCPP 1.6J charge point, on the client side of ``ocpp``.

The client side of the ``ocpp`` package (``ocpp.v16.ChargePoint``) over a
:class:`hal_sim.ocpp.link.RawLink`: boot, heartbeat and status notifications,
as a real charger sends them. A CALLERROR from the central system is raised as
:class:`CallRefused` with its code; ``run`` reads the central system's frames
until the link closes, and answers its calls with the package's ``@on``
handlers (:mod:`hal_sim.ocpp.charge_point_answers`: GetLocalListVersion and
SendLocalList, ChangeAvailability, the charging profiles; the package answers
the rest with a CALLERROR). Fault injection: ``hold_answers()`` keeps every
answer back until ``release_answers()``, as a charger that answers too late.

Transactions: Authorize, StartTransaction, MeterValues
(:func:`hal_sim.ocpp.messages.energy` writes one MeterValue) and
StopTransaction. While ``offline`` (``go_offline()``, or a lost link) they are
queued with their own timestamps, a queued start under a local (negative) id;
after ``reconnect(link)`` and ``run``, ``replay()`` (or ``reboot()``:
BootNotification, then the replay) sends them in order with the central
system's transactionIds in place of the local ones (OCPP 1.6 4.7).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import datetime
from types import ModuleType
from typing import Any, ClassVar, Generic, TypeVar

from ocpp.exceptions import OCPPError
from ocpp.v16 import call

from edge.model.clock import Clock
from hal_sim.ocpp.charge_point_answers import ChargerState, Client
from hal_sim.ocpp.link import LinkLost, RawLink
from hal_sim.ocpp.messages import (
    Boot,
    CallRefused,
    IdTagAnswer,
    Queued,
    StartAnswer,
    id_tag_info,
)
from hal_sim.ocpp.times import central_time, wire

__all__ = [
    "Boot",
    "CallRefused",
    "ChargerState",
    "IdTagAnswer",
    "SimChargePoint",
    "SimClient",
]
"""What the 1.6J and 2.0.1 simulated charge points and their tests import here."""

log = logging.getLogger(__name__)

S = TypeVar("S")


class SimClient(Generic[S]):
    """A simulated charger on one open link, either version: what they share.

    :class:`SimChargePoint` (1.6J) and :class:`hal_sim.ocpp.charge_point_201.
    SimChargingStation` (2.0.1): the ``ocpp`` package's client on the link
    (:meth:`_client`, made again by :meth:`reconnect`), what the charger keeps
    across links (``state``), its calls (a CALLERROR raised as
    :class:`CallRefused`) and its heartbeat.
    """

    VENDOR = "hal_sim"
    MODEL = "SimCharger"
    """Its vendor and model in BootNotification."""
    calls: ClassVar[ModuleType]
    """Its version's requests (``ocpp.v16.call``, ``ocpp.v201.call``)."""
    client_type: ClassVar[Callable[..., Any]]
    """The ``ocpp`` package's client of its version (made on each link)."""
    logger: ClassVar[logging.Logger]
    """The log its client writes the frames to."""

    def __init__(
        self,
        identity: str,
        link: RawLink,
        clock: Clock,
        *,
        response_timeout_s: float = 30.0,
        state: S | None = None,
    ) -> None:
        """``state``: what it kept from an earlier link (None: a new one)."""
        self.identity = identity
        self.link = link
        self._clock = clock
        self._timeout_s = response_timeout_s
        self.state: S = self._new_state() if state is None else state
        self.offline = False
        """The link is down: transaction messages are queued, not sent."""
        self._setup()
        self._cp = self._client(link)

    def _new_state(self) -> S:
        """What a charger holds that never was on a link."""
        raise NotImplementedError

    def _setup(self) -> None:
        """Its own bookkeeping, before its client is made."""
        raise NotImplementedError

    def _client(self, link: RawLink) -> Any:
        """The ``ocpp`` package's client of its version on ``link``."""
        return self.client_type(
            self.state,
            self._clock,
            self.identity,
            link,
            response_timeout=self._clock.to_wall(self._timeout_s),
            logger=self.logger,
        )

    def reconnect(self, link: RawLink) -> None:
        """Go on over a new link (after a lost one, or a reboot): ``run`` it again."""
        self.link = link
        self._cp = self._client(link)

    async def run(self) -> LinkLost:
        """Answer the central system's frames until the link closes; how it did."""
        try:
            await self._cp.start()
        except LinkLost as lost:
            return lost
        raise AssertionError("ocpp's ChargePoint.start() returned")  # pragma: no cover

    async def _call(self, payload: object) -> Any:
        try:
            return await self._cp.call(payload, suppress=False)
        except OCPPError as exc:
            raise CallRefused(str(exc.code), str(exc.description)) from exc

    async def send(self, action: str, **fields: object) -> dict[str, Any]:
        """Send any request of its version by action name (snake_case fields).

        Its answer is snake_case data, as the package parsed it; a CALLERROR
        is :class:`CallRefused` (what :mod:`hal_sim.ocpp.sim_link` turns into
        a short reason). For drivers the typed methods do not cover.
        """
        answer: Any = await self._call(getattr(self.calls, action)(**fields))
        return dict(dataclasses.asdict(answer))

    async def heartbeat(self) -> datetime:
        """Send Heartbeat; the central system's time."""
        answer = await self._call(self.calls.Heartbeat())
        return central_time(str(answer.current_time))

    async def keep_alive(
        self, interval_s: float, beat: Callable[[datetime], None] = lambda _: None
    ) -> None:
        """Send a Heartbeat every ``interval_s`` site seconds (until cancelled).

        ``beat`` gets the central system's time from each answer.
        """
        while True:
            await self._clock.sleep(interval_s)
            beat(await self.heartbeat())


class SimChargePoint(SimClient[ChargerState]):
    """One simulated 1.6J charge point on an open link.

    What it holds survives :meth:`reconnect`: its configuration, its local
    list and the queue of transaction messages (kept as a charger keeps them,
    in memory that survives a reboot); :meth:`replay` sends them.
    """

    calls = call
    client_type = Client
    logger = log
    queue: list[Queued]
    central_ids: dict[int, int]
    """Local transaction ids (queued starts) to the central system's."""

    def _new_state(self) -> ChargerState:
        return ChargerState()

    def _setup(self) -> None:
        self.queue = []
        self.central_ids = {}
        self._local_ids = 0

    async def reboot(self) -> Boot:
        """Boot again (after :meth:`reconnect` and ``run``), then replay the queue."""
        boot = await self.boot()
        await self.replay()
        return boot

    def hold_answers(self) -> None:
        """Keep every answer to the central system's calls back from now on."""
        self.state.gate.clear()

    def release_answers(self) -> None:
        """Send the answers held back, and answer at once again."""
        self.state.gate.set()

    def authorize_offline(self, id_tag: str) -> str:
        """What the charger decides for ``id_tag`` while it cannot reach us.

        From its local list (``Invalid`` for a card not on it: the simulated
        charger does not set ``AllowOfflineTxForUnknownId``).
        """
        return self.state.local_list.authorize(id_tag) or "Invalid"

    async def boot(self, firmware_version: str = "1.0.0") -> Boot:
        """Send BootNotification."""
        answer: object = await self._call(
            call.BootNotification(
                charge_point_model=self.MODEL,
                charge_point_vendor=self.VENDOR,
                firmware_version=firmware_version,
            )
        )
        status, interval, now = (
            getattr(answer, "status"),  # noqa: B009 - the package's answers are untyped
            getattr(answer, "interval"),  # noqa: B009
            getattr(answer, "current_time"),  # noqa: B009
        )
        return Boot(str(status), int(interval), central_time(str(now)))

    async def status(
        self,
        connector_id: int,
        status: str,
        error_code: str = "NoError",
        timestamp: datetime | None = None,
    ) -> None:
        """Send StatusNotification for a connector (0: the charge point)."""
        moment = self._clock.utcnow() if timestamp is None else timestamp
        await self._call(
            call.StatusNotification(
                connector_id=connector_id,
                error_code=error_code,
                status=status,
                timestamp=wire(moment),
            )
        )

    async def authorize(self, id_tag: str) -> IdTagAnswer:
        """Send Authorize; the central system's idTagInfo."""
        answer: object = await self._call(call.Authorize(id_tag=id_tag))
        return id_tag_info(getattr(answer, "id_tag_info"))  # noqa: B009

    # ---- transactions (queued while offline, replayed with their own times) ------
    def go_offline(self) -> None:
        """From now on, queue transaction messages instead of sending them."""
        self.offline = True

    async def start_transaction(
        self,
        connector_id: int,
        id_tag: str,
        meter_start_wh: int,
        timestamp: datetime | None = None,
    ) -> StartAnswer:
        """Send (or, offline, queue) StartTransaction.

        Offline, the answer carries a local id (negative) that later calls may
        use; :meth:`replay` puts the central system's id in its place.
        """
        fields: dict[str, object] = {
            "connector_id": connector_id,
            "id_tag": id_tag,
            "meter_start": meter_start_wh,
            "timestamp": wire(timestamp or self._clock.utcnow()),
        }
        if self.offline:
            self._local_ids -= 1
            self.queue.append(Queued("StartTransaction", fields, self._local_ids))
            return StartAnswer(self._local_ids, IdTagAnswer("Accepted"))
        answer = await self.send("StartTransaction", **fields)
        return StartAnswer(
            int(answer["transaction_id"]), id_tag_info(answer["id_tag_info"])
        )

    async def meter_values(
        self,
        connector_id: int,
        transaction_id: int | None,
        values: list[dict[str, object]],
    ) -> None:
        """Send (or queue) MeterValues: ``values`` as 1.6 MeterValue objects."""
        fields: dict[str, object] = {
            "connector_id": connector_id,
            "meter_value": values,
        }
        if transaction_id is not None:
            fields["transaction_id"] = transaction_id
        if self.offline or (transaction_id is not None and transaction_id < 0):
            self.queue.append(Queued("MeterValues", fields))
            return
        await self.send("MeterValues", **fields)

    async def stop_transaction(
        self,
        transaction_id: int,
        meter_stop_wh: int,
        timestamp: datetime | None = None,
        reason: str | None = None,
        id_tag: str | None = None,
        transaction_data: list[dict[str, object]] | None = None,
    ) -> IdTagAnswer | None:
        """Send (or queue) StopTransaction; the idTagInfo if one came back."""
        fields: dict[str, object] = {
            "transaction_id": transaction_id,
            "meter_stop": meter_stop_wh,
            "timestamp": wire(timestamp or self._clock.utcnow()),
        }
        for key, value in (
            ("reason", reason),
            ("id_tag", id_tag),
            ("transaction_data", transaction_data),
        ):
            if value is not None:
                fields[key] = value
        if self.offline or transaction_id < 0:
            self.queue.append(Queued("StopTransaction", fields))
            return None
        answer = await self.send("StopTransaction", **fields)
        info = answer.get("id_tag_info")
        return None if info is None else id_tag_info(info)

    async def replay(self) -> list[dict[str, Any]]:
        """Online again: send the queued messages in order; their answers."""
        self.offline = False
        answers = []
        while self.queue:
            q = self.queue[0]
            fields = dict(q.fields)
            local = fields.get("transaction_id")
            if isinstance(local, int) and local in self.central_ids:
                fields["transaction_id"] = self.central_ids[local]
            answer = await self.send(q.action, **fields)
            if q.local_id is not None:
                self.central_ids[q.local_id] = int(answer["transaction_id"])
            self.queue.pop(0)
            answers.append(answer)
        return answers
