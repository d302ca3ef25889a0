"""What the simulated 1.6J charge point answers the central system's calls.

The package's ``@on`` handlers of :class:`SimChargePoint
<hal_sim.ocpp.charge_point.SimChargePoint>`'s client: GetLocalListVersion and
SendLocalList (its list in :mod:`hal_sim.ocpp.local_list`), Set- and
ClearChargingProfile and GetCompositeSchedule (:mod:`hal_sim.ocpp.profiles`),
ChangeAvailability, and the rest of :mod:`hal_sim.ocpp.remote`'s actions. What
the central system set is kept in a :class:`ChargerState`, which survives a
reconnect; its ``gate`` holds every answer back while cleared.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ocpp import exceptions as ocpp_errors
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action

from edge.model.clock import Clock
from hal_sim.ocpp.local_list import SimLocalList
from hal_sim.ocpp.profiles import SimProfiles
from hal_sim.ocpp.remote import REMOTE_ACTIONS, ConfigValue, RemoteControl


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


class Client(ChargePoint):  # type: ignore[misc]  # the package is untyped
    """The package's charge point, answering with what ``state`` holds."""

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
        if not self.state.profiles.has_composite:
            raise ocpp_errors.NotImplementedError(description="no composite here")
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
