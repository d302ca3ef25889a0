"""How a simulated 2.0.1 station answers the central system's calls.

The ``ocpp`` package's ``@on`` handlers over a :class:`~hal_sim.ocpp.
station_201_state.StationState`: GetVariables and SetVariables from its
device model, GetLocalListVersion and SendLocalList from its local list,
SetChargingProfile into its profiles, GetCompositeSchedule from them (in A,
sampled each minute, as the 1.6 charger's), UnlockConnector (connector 1 of each
EVSE; refused while a transaction runs there), RequestStartTransaction and
RequestStopTransaction recorded (a stop of a transaction it does not run is
Rejected; acting on them is the station's driver's part, as in
:mod:`hal_sim.ocpp.sim_charger`); Reset, ChangeAvailability and TriggerMessage
recorded and Accepted (unless ``StationState.answers`` says otherwise).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from ocpp.routing import on
from ocpp.v201 import ChargePoint, call_result

from edge.model.clock import Clock
from hal_sim.ocpp.station_201_state import StationState
from hal_sim.ocpp.times import wire

_F = TypeVar("_F", bound=Callable[..., Awaitable[object]])


def _handles(action: str) -> Callable[[_F], _F]:
    """The package's ``@on``, typed."""
    decorator: Callable[[_F], _F] = on(action)
    return decorator


class StationClient(ChargePoint):  # type: ignore[misc]  # the package is untyped
    """The package's ChargePoint, answering from a :class:`StationState`."""

    def __init__(
        self, state: StationState, clock: Clock, *args: object, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        self.state = state
        self.clock = clock

    @_handles("GetVariables")
    async def _get_variables(self, get_variable_data: list[dict[str, Any]]) -> object:
        results = []
        for item in get_variable_data:
            component, variable = item["component"], item["variable"]
            status, value = self.state.get_variable(component["name"], variable["name"])
            result: dict[str, Any] = {
                "attribute_status": status,
                "component": component,
                "variable": variable,
            }
            if value is not None:
                result["attribute_value"] = value
            results.append(result)
        return call_result.GetVariables(get_variable_result=results)

    @_handles("SetVariables")
    async def _set_variables(self, set_variable_data: list[dict[str, Any]]) -> object:
        results = [
            {
                "attribute_status": self.state.set_variable(
                    item["component"]["name"],
                    item["variable"]["name"],
                    str(item["attribute_value"]),
                ),
                "component": item["component"],
                "variable": item["variable"],
            }
            for item in set_variable_data
        ]
        return call_result.SetVariables(set_variable_result=results)

    @_handles("GetLocalListVersion")
    async def _list_version(self, **_: object) -> object:
        return call_result.GetLocalListVersion(
            version_number=self.state.local_list.version
        )

    @_handles("SendLocalList")
    async def _send_local_list(
        self,
        version_number: int,
        update_type: str,
        local_authorization_list: list[dict[str, Any]] | None = None,
        **_: object,
    ) -> object:
        status = self.state.send_local_list(
            version_number, update_type, local_authorization_list
        )
        return call_result.SendLocalList(status=status)

    @_handles("SetChargingProfile")
    async def _set_profile(
        self, evse_id: int, charging_profile: dict[str, Any], **_: object
    ) -> object:
        status = self.state.set_profile(evse_id, charging_profile)
        return call_result.SetChargingProfile(status=status)

    @_handles("GetCompositeSchedule")
    async def _composite(
        self, duration: int, evse_id: int, charging_rate_unit: str | None = None
    ) -> object:
        now = self.clock.utcnow()
        schedule = self.state.profiles.composite(evse_id, duration, now)
        if schedule is None or charging_rate_unit not in (None, "A"):
            return call_result.GetCompositeSchedule(status="Rejected")
        return call_result.GetCompositeSchedule(
            status="Accepted",
            schedule={
                "evse_id": evse_id,
                "duration": duration,
                "schedule_start": wire(now),
                "charging_rate_unit": "A",
                "charging_schedule_period": schedule["charging_schedule_period"],
            },
        )

    @_handles("RequestStartTransaction")
    async def _request_start(
        self,
        id_token: dict[str, Any],
        remote_start_id: int,
        evse_id: int | None = None,
        **_: object,
    ) -> object:
        start = (remote_start_id, str(id_token["id_token"]), evse_id)
        self.state.remote_starts.append(start)
        self._told("RequestStartTransaction", {
            "id_token": id_token, "remote_start_id": remote_start_id,
            "evse_id": evse_id,
        })  # fmt: skip
        return call_result.RequestStartTransaction(status="Accepted")

    @_handles("RequestStopTransaction")
    async def _request_stop(self, transaction_id: str, **_: object) -> object:
        if transaction_id not in self.state.running:
            return call_result.RequestStopTransaction(status="Rejected")
        self.state.remote_stops.append(transaction_id)
        self._told("RequestStopTransaction", {"transaction_id": transaction_id})
        return call_result.RequestStopTransaction(status="Accepted")

    @_handles("UnlockConnector")
    async def _unlock(self, evse_id: int, connector_id: int, **_: object) -> object:
        self.state.unlocks.append((evse_id, connector_id))
        if connector_id != 1:
            return call_result.UnlockConnector(status="UnknownConnector")
        if any(t.evse_id == evse_id for t in self.state.running.values()):
            return call_result.UnlockConnector(status="OngoingAuthorizedTransaction")
        return call_result.UnlockConnector(status="Unlocked")

    def _operation(self, action: str, payload: dict[str, Any]) -> str:
        self.state.operations.append((action, payload))
        return self.state.answers.get(action, "Accepted")

    @_handles("Reset")
    async def _reset(self, type: str, evse_id: int | None = None) -> object:
        status = self._operation("Reset", {"type": type, "evse_id": evse_id})
        return call_result.Reset(status=status)

    @_handles("ChangeAvailability")
    async def _availability(
        self, operational_status: str, evse: dict[str, Any] | None = None
    ) -> object:
        status = self._operation(
            "ChangeAvailability",
            {"operational_status": operational_status, "evse": evse},
        )
        return call_result.ChangeAvailability(status=status)

    @_handles("TriggerMessage")
    async def _trigger(
        self, requested_message: str, evse: dict[str, Any] | None = None
    ) -> object:
        status = self._operation(
            "TriggerMessage", {"requested_message": requested_message, "evse": evse}
        )
        return call_result.TriggerMessage(status=status)

    def _told(self, action: str, payload: dict[str, Any]) -> None:
        for listener in self.state.on_request:
            listener(action, payload)
