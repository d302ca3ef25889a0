"""What each OCPP-J version answers: its handlers, and what it knows but skips.

Routing by subprotocol: :data:`HANDLERS` maps each served version to the
factory of its handlers (``"ocpp1.6"`` and ``"ocpp2.0.1"``); the charger's
declared ``protocol`` picks it (:mod:`.connection`), and its frames are
checked and answered in that version's schemas and error codes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from edge.config.ocpp import OcppProtocol, OcppSection
from edge.ocpp.handlers.backing import TxContext
from edge.ocpp.handlers.v16 import KNOWN_UNSUPPORTED, Handler, V16Handlers
from edge.ocpp.handlers.v16_auth import V16Authorize
from edge.ocpp.handlers.v16_tx import V16Transactions
from edge.ocpp.handlers.v201 import KNOWN_UNSUPPORTED as V201_UNSUPPORTED
from edge.ocpp.handlers.v201 import V201Handlers
from edge.ocpp.handlers.v201_auth import V201Authorize
from edge.ocpp.handlers.v201_tx import V201Transactions
from edge.ocpp.status import ChargerStatus


@dataclass(frozen=True)
class Routes:
    """What one version answers: its handlers, and the requests it knows but skips."""

    handlers: dict[str, Handler]
    unsupported: frozenset[str]


@dataclass(frozen=True)
class ChargerContext(TxContext):
    """What the handlers of one charger's connection work with."""

    status: ChargerStatus
    section: OcppSection


RouteFactory = Callable[[ChargerContext], Routes]


def _v16(ctx: ChargerContext) -> Routes:
    routes = V16Handlers(ctx.status, ctx.clock, ctx.section.heartbeat_interval_s).routes
    routes["Authorize"] = V16Authorize(ctx.charger, ctx.site).authorize
    tx = V16Transactions(ctx)
    routes["StartTransaction"] = tx.start
    routes["MeterValues"] = tx.meter_values
    routes["StopTransaction"] = tx.stop
    return Routes(routes, KNOWN_UNSUPPORTED - routes.keys())


def _v201(ctx: ChargerContext) -> Routes:
    interval = ctx.section.heartbeat_interval_s
    station = V201Handlers(ctx.status, ctx.clock, interval)
    routes = station.routes
    tx = V201Transactions(ctx, V16Transactions(ctx), station)
    routes["Authorize"] = V201Authorize(ctx.charger, ctx.site, tx.swipes).authorize
    routes["TransactionEvent"] = tx.transaction_event
    routes["MeterValues"] = tx.meter_values
    return Routes(routes, V201_UNSUPPORTED - routes.keys())


HANDLERS: dict[OcppProtocol, RouteFactory] = {"ocpp1.6": _v16, "ocpp2.0.1": _v201}
