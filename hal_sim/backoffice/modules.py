"""The functional modules' endpoints: each request dispatched by method.

The checks on the objects themselves are in :mod:`hal_sim.backoffice.receivers`
(locations, sessions, CDRs, tariffs); here the URL becomes a key and the method
picks the receiver's function. CommandResults of the commands we sent arrive here
too (:mod:`hal_sim.backoffice.cpo` sends them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from edge.ocpi import CommandResult, CommandType
from hal_sim.backoffice import receivers as rx
from hal_sim.backoffice.exchange import Call
from hal_sim.backoffice.pipeline import registered
from hal_sim.backoffice.state import BackofficeState, Key, Registration


def _key(call: Call) -> Key:
    p = call.path_params
    return (p["cc"].upper(), p["pid"].upper(), p["oid"])


def _get(store: dict[Key, dict[str, object]], key: Key, what: str) -> rx.Answer:
    found = store.get(key)
    if found is None:
        return rx.unknown(f"{what} {key[2]}")
    return rx.Answer(data=found)


@dataclass
class Modules:
    """The Receiver endpoints of one backoffice's state."""

    state: BackofficeState
    version_url: Callable[[], str]
    """Our 2.2.1 base URL (known once the server listens)."""

    async def locations(
        self, call: Call, reg: Registration | None, body: object
    ) -> rx.Answer:
        """A location, EVSE or connector: GET, PUT, PATCH."""
        reg = registered(reg)
        key = _key(call)
        parts = [p for p in call.path_params["rest"].split("/") if p]
        if len(parts) > 2:
            return rx.unknown("location path")
        if call.method == "GET":
            return _get(self.state.locations, key, "location")
        if call.method == "PUT":
            return rx.put_location(self.state, reg, key, parts, body)
        return rx.patch_location(self.state, reg, key, parts, body)

    async def sessions(
        self, call: Call, reg: Registration | None, body: object
    ) -> rx.Answer:
        """A session: GET, PUT, PATCH."""
        reg = registered(reg)
        key = _key(call)
        if call.method == "GET":
            return _get(self.state.sessions, key, "session")
        if call.method == "PUT":
            return rx.put_session(self.state, reg, key, body)
        return rx.patch_session(self.state, reg, key, body)

    async def post_cdr(
        self, call: Call, reg: Registration | None, body: object
    ) -> rx.Answer:
        """POST a CDR."""
        return rx.post_cdr(self.state, registered(reg), body, self.version_url())

    async def get_cdr(
        self, call: Call, reg: Registration | None, body: object
    ) -> rx.Answer:
        """GET a CDR we hold (where POST said it is)."""
        return _get(self.state.cdrs, _key(call), "CDR")

    async def tariffs(
        self, call: Call, reg: Registration | None, body: object
    ) -> rx.Answer:
        """A tariff: GET, PUT, DELETE."""
        reg = registered(reg)
        key = _key(call)
        if call.method == "GET":
            return _get(self.state.tariffs, key, "tariff")
        if call.method == "PUT":
            return rx.put_tariff(self.state, reg, key, body)
        return rx.delete_tariff(self.state, reg, key)

    async def command_result(
        self, call: Call, reg: Registration | None, body: object
    ) -> rx.Answer:
        """The CommandResult of a command we sent."""
        registered(reg)
        kind = call.path_params["kind"]
        if kind not in {c.value for c in CommandType}:
            return rx.unknown(f"command type {kind}")
        result = rx.validated(CommandResult, body, "command_result")
        self.state.command_results.setdefault(call.path_params["cid"], []).append(
            result
        )
        return rx.Answer()
