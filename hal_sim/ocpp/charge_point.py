"""A simulated OCPP 1.6J charge point: the simulator's importer of ``ocpp``.

The client side of the ``ocpp`` package (``ocpp.v16.ChargePoint``) over a
:class:`hal_sim.ocpp.link.RawLink`: boot, heartbeat and status notifications,
as a real charger sends them. A CALLERROR from the central system is raised as
:class:`CallRefused` with its code; ``run`` reads the central system's frames
until the link closes, and answers its calls with the package's ``@on``
handlers (GetLocalListVersion and SendLocalList, its list in
:mod:`hal_sim.ocpp.local_list`; ChangeAvailability; the package answers the rest
with a CALLERROR). Fault injection: ``hold_answers()`` keeps every answer back
until ``release_answers()``, as a charger that answers too late.

Transactions: Authorize, StartTransaction, MeterValues (:func:`energy` writes
one MeterValue) and StopTransaction. While ``offline`` (``go_offline()``, or a
lost link) they are queued with their own timestamps, a queued start under a
local (negative) id; after ``reconnect(link)`` and ``run``, ``replay()`` (or
``reboot()``: BootNotification, then the replay) sends them in order with the
central system's transactionIds in place of the local ones (OCPP 1.6 4.7).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from ocpp.exceptions import OCPPError
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action

from edge.model.clock import Clock
from hal_sim.ocpp.link import LinkLost, RawLink
from hal_sim.ocpp.local_list import SimLocalList
from hal_sim.ocpp.profiles import SimProfiles
from hal_sim.ocpp.remote import REMOTE_ACTIONS, ConfigValue, RemoteControl

log = logging.getLogger(__name__)


class CallRefused(Exception):
    """The central system answered a call with a CALLERROR."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description


@dataclass(frozen=True)
class Boot:
    """The central system's answer to BootNotification."""

    status: str
    interval_s: int
    current_time: datetime


@dataclass(frozen=True)
class IdTagAnswer:
    """The central system's ``idTagInfo``."""

    status: str
    parent_id_tag: str | None = None
    expiry_date: datetime | None = None


def _id_tag_info(raw: object) -> IdTagAnswer:
    info = raw if isinstance(raw, dict) else {}
    expiry = info.get("expiry_date")
    return IdTagAnswer(
        str(info.get("status")),
        info.get("parent_id_tag"),
        None if expiry is None else _time(str(expiry)),
    )


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class ChargerState:
    """What the central system set on the simulated charger."""

    local_list: SimLocalList = field(default_factory=SimLocalList)
    profiles: SimProfiles = field(default_factory=SimProfiles)
    """Its charging profiles (:mod:`hal_sim.ocpp.profiles`)."""
    inoperative: set[int] = field(default_factory=set)
    """Connectors (0: all) made Inoperative by ChangeAvailability."""
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    remote: RemoteControl = field(default_factory=RemoteControl)
    """How it answers RemoteStart/Stop, Unlock, Reset, configuration, triggers."""

    def __post_init__(self) -> None:
        self.gate.set()
        self.list_limits(self.local_list.local_max, self.local_list.send_max)

    def list_limits(self, local_max: int, send_max: int) -> None:
        """Set ``LocalAuthListMaxLength`` and ``SendLocalListMaxLength``."""
        self.local_list.local_max = local_max
        self.local_list.send_max = send_max
        for key, value in (
            ("LocalAuthListMaxLength", local_max),
            ("SendLocalListMaxLength", send_max),
        ):
            self.remote.configuration[key] = ConfigValue(str(value), readonly=True)


_F = TypeVar("_F", bound=Callable[..., Awaitable[object]])


def _handles(action: str, *, validate: bool = True) -> Callable[[_F], _F]:
    """The package's ``@on``, typed.

    ``validate=False`` for the actions with decimal limits: the package parses
    their schema with Decimal only in its own validation but caches one
    validator per action whichever way it was parsed first, so in a process
    where the central system validated the action first the charger's check
    fails on ``Decimal / float`` (the central system checks them anyway).
    """
    decorator: Callable[[_F], _F] = on(action, skip_schema_validation=not validate)
    return decorator


class _Client(ChargePoint):  # type: ignore[misc]  # the package is untyped
    def __init__(
        self, state: ChargerState, clock: Clock, *args: object, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        self.state = state
        self.clock = clock
        for action in REMOTE_ACTIONS:  # answered by hal_sim.ocpp.remote
            self.route_map.setdefault(action, {"_on_action": self._remote(action)})

    def _remote(self, action: str) -> Callable[..., Awaitable[object]]:
        async def answer(**payload: object) -> object:
            await self.state.gate.wait()
            reply = self.state.remote.answer(action, payload)
            return getattr(call_result, action)(**reply)

        return answer

    @_handles(Action.get_local_list_version)
    async def _list_version(self) -> object:
        await self.state.gate.wait()
        return call_result.GetLocalListVersion(
            list_version=self.state.local_list.version
        )

    @_handles(Action.send_local_list)
    async def _send_local_list(
        self,
        list_version: int,
        update_type: str,
        local_authorization_list: list[dict[str, Any]] | None = None,
    ) -> object:
        await self.state.gate.wait()
        items = [  # the package hands the payload over in snake_case
            {"idTag": i["id_tag"]}
            if "id_tag_info" not in i
            else {
                "idTag": i["id_tag"],
                "idTagInfo": {"status": i["id_tag_info"]["status"]},
            }
            for i in local_authorization_list or []
        ]
        status = self.state.local_list.send_local_list(list_version, update_type, items)
        return call_result.SendLocalList(status=status)

    @_handles(Action.set_charging_profile, validate=False)
    async def _set_profile(
        self, connector_id: int, cs_charging_profiles: dict[str, Any]
    ) -> object:
        await self.state.gate.wait()
        status = self.state.profiles.set_profile(connector_id, cs_charging_profiles)
        return call_result.SetChargingProfile(status=status)

    @_handles(Action.clear_charging_profile)
    async def _clear_profile(
        self,
        id: int | None = None,  # the package passes it by this name
        connector_id: int | None = None,
        charging_profile_purpose: str | None = None,
        stack_level: int | None = None,
    ) -> object:
        await self.state.gate.wait()
        status = self.state.profiles.clear(
            id, connector_id, charging_profile_purpose, stack_level
        )
        return call_result.ClearChargingProfile(status=status)

    @_handles(Action.get_composite_schedule, validate=False)
    async def _composite(
        self, connector_id: int, duration: int, charging_rate_unit: str | None = None
    ) -> object:
        await self.state.gate.wait()
        schedule = self.state.profiles.composite(
            connector_id, duration, self.clock.utcnow()
        )
        if schedule is None or charging_rate_unit not in (None, "A"):
            return call_result.GetCompositeSchedule(status="Rejected")
        return call_result.GetCompositeSchedule(
            status="Accepted",
            connector_id=connector_id,
            schedule_start=schedule["start_schedule"],
            charging_schedule=schedule,
        )

    @_handles(Action.change_availability)
    async def _availability(self, connector_id: int, type: str) -> object:
        await self.state.gate.wait()
        if type == "Inoperative":
            self.state.inoperative.add(connector_id)
        else:
            self.state.inoperative.discard(connector_id)
        return call_result.ChangeAvailability(status="Accepted")


class SimChargePoint:
    """One simulated 1.6J charge point on an open link."""

    def __init__(
        self,
        identity: str,
        link: RawLink,
        clock: Clock,
        *,
        vendor: str = "hal_sim",
        model: str = "SimCharger",
        response_timeout_s: float = 30.0,
        state: ChargerState | None = None,
    ) -> None:
        """``state``: what it keeps across connections (None: a new one)."""
        self.identity = identity
        self.link = link
        self._clock = clock
        self._vendor = vendor
        self._model = model
        self.offline = False
        """Transaction messages are queued, not sent (the link is down)."""
        self.queue: list[Queued] = []
        self.central_ids: dict[int, int] = {}
        """Local transaction ids (queued starts) to the central system's."""
        self._local_ids = 0
        self._timeout_s = response_timeout_s
        self.state = state or ChargerState()
        self._cp = self._client(link)

    def _client(self, link: RawLink) -> _Client:
        return _Client(
            self.state,
            self._clock,
            self.identity,
            link,
            response_timeout=self._clock.to_wall(self._timeout_s),
            logger=log,
        )

    def reconnect(self, link: RawLink) -> None:
        """Go on over a new link (after a lost one, or a reboot): ``run`` it again.

        What the charger holds survives: its configuration, its local list and
        the queue of transaction messages (kept as a charger keeps them, in
        memory that survives a reboot); :meth:`replay` sends them.
        """
        self.link = link
        self._cp = self._client(link)

    async def reboot(self) -> Boot:
        """Boot again (after :meth:`reconnect` and ``run``), then replay the queue."""
        boot = await self.boot()
        await self.replay()
        return boot

    async def run(self) -> LinkLost:
        """Answer the central system's frames until the link closes; how it did."""
        try:
            await self._cp.start()
        except LinkLost as lost:
            return lost
        raise AssertionError("ocpp's ChargePoint.start() returned")  # pragma: no cover

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

    async def keep_alive(
        self, interval_s: float, beat: Callable[[datetime], None] = lambda _: None
    ) -> None:
        """Send a Heartbeat every ``interval_s`` site seconds (until cancelled).

        ``beat`` gets the central system's time from each answer.
        """
        while True:
            await self._clock.sleep(interval_s)
            beat(await self.heartbeat())

    async def _call(self, payload: object) -> object:
        try:
            return await self._cp.call(payload, suppress=False)
        except OCPPError as exc:
            raise CallRefused(str(exc.code), str(exc.description)) from exc

    async def send(self, action: str, **fields: object) -> dict[str, Any]:
        """Send any 1.6 request by action name (snake_case fields); its answer.

        The answer is snake_case data, as the package parsed it; a CALLERROR is
        :class:`CallRefused`. For drivers the typed methods do not cover
        (:mod:`hal_sim.ocpp.sim_charger`).
        """
        answer: Any = await self._call(getattr(call, action)(**fields))
        return dict(dataclasses.asdict(answer))

    async def boot(self, firmware_version: str = "1.0.0") -> Boot:
        """Send BootNotification."""
        answer: object = await self._call(
            call.BootNotification(
                charge_point_model=self._model,
                charge_point_vendor=self._vendor,
                firmware_version=firmware_version,
            )
        )
        status, interval, now = (
            getattr(answer, "status"),  # noqa: B009 - the package's answers are untyped
            getattr(answer, "interval"),  # noqa: B009
            getattr(answer, "current_time"),  # noqa: B009
        )
        return Boot(str(status), int(interval), _time(str(now)))

    async def heartbeat(self) -> datetime:
        """Send Heartbeat; the central system's time."""
        answer: object = await self._call(call.Heartbeat())
        return _time(str(getattr(answer, "current_time")))  # noqa: B009

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
                timestamp=moment.isoformat(timespec="seconds").replace("+00:00", "Z"),
            )
        )

    async def authorize(self, id_tag: str) -> IdTagAnswer:
        """Send Authorize; the central system's idTagInfo."""
        answer: object = await self._call(call.Authorize(id_tag=id_tag))
        return _id_tag_info(getattr(answer, "id_tag_info"))  # noqa: B009

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
            int(answer["transaction_id"]), _id_tag_info(answer["id_tag_info"])
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
        return None if info is None else _id_tag_info(info)

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


@dataclass(frozen=True)
class StartAnswer:
    """The central system's answer to StartTransaction."""

    transaction_id: int
    id_tag_info: IdTagAnswer


@dataclass(frozen=True)
class Queued:
    """A transaction message kept while the link is down (1.6 section 4.7)."""

    action: str
    fields: dict[str, object]
    local_id: int | None = None
    """A queued StartTransaction's local id, for the messages that follow it."""


def wire(moment: datetime) -> str:
    """A datetime as a charger writes it: ``2026-03-02T06:04:27Z`` (UTC)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def energy(
    at: datetime,
    energy_wh: float,
    unit: str = "Wh",
    power_w: float | None = None,
    currents_a: tuple[float, ...] = (),
    context: str = "Sample.Periodic",
) -> dict[str, object]:
    """One 1.6 MeterValue: the energy register, with power and currents if given."""
    value = f"{energy_wh / 1000:.3f}" if unit == "kWh" else str(round(energy_wh))
    sampled: list[dict[str, object]] = [
        {
            "value": value,
            "context": context,
            "measurand": "Energy.Active.Import.Register",
            "unit": unit,
        }
    ]
    if power_w is not None:
        sampled.append(
            {"value": f"{power_w:.0f}", "measurand": "Power.Active.Import", "unit": "W"}
        )
    for phase, amps in zip(("L1", "L2", "L3"), currents_a, strict=False):
        sampled.append(
            {
                "value": f"{amps:.1f}",
                "measurand": "Current.Import",
                "phase": phase,
                "unit": "A",
            }
        )
    return {"timestamp": wire(at), "sampled_value": sampled}
