"""What the web server's routes see of the running site.

The composition root (:class:`edge.app.Site`) builds one :class:`WebContext`
and hands it to :class:`edge.web.server.WebServer`; a route gets it from the
request (:func:`edge.web.server.context_of`). Everything in it is the site's own
object, not a copy: an EVSE's view is taken at each request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from fastapi import Request

from edge.config.schema import SiteConfig
from edge.evse.contactor_test import ContactorTester
from edge.evse.local_commands import LocalCommands
from edge.evse.port import EvsePort
from edge.load.manager import LoadManager
from edge.load.price_source import PricePlanner
from edge.model.clock import Clock
from edge.ocpp.central import ChargerReport
from edge.ocpp.operations import ChargerOperations
from edge.readiness import Readiness
from edge.store.db import Database
from edge.web.errors import ApiProblem


@dataclass(frozen=True)
class UplinkInfo:
    """The OCPI uplink as the sync status shows it (never a token)."""

    registered: bool
    peer: str | None
    """The backoffice's party (``NL*BOF``), once registered."""


@dataclass(frozen=True)
class WebContext:
    """The site, as the web server's routes reach it."""

    config: SiteConfig
    clock: Clock
    db: Database
    evses: Mapping[str, EvsePort]
    """Every EVSE of the site by uid (board and OCPP alike)."""
    ready: Readiness
    commands: LocalCommands
    """Start, stop and current limit, recorded as the API's (token ``API``)."""
    uplink: Callable[[], UplinkInfo] | None = None
    """The uplink's registration now; None where the site has no OCPI uplink."""
    contactor_tests: Mapping[str, ContactorTester] = field(default_factory=dict)
    """The commissioning page's contactor test, per EVSE uid (board EVSEs)."""
    load: LoadManager | None = None
    """Load management, where the site has a ``[load]`` section."""
    prices: PricePlanner | None = None
    """The price plan, where the site has ``[load.prices]`` (departures)."""
    ocpp: Callable[[], list[ChargerReport]] | None = None
    """The declared OCPP chargers now; None where the site serves no OCPP."""
    chargers: Mapping[str, ChargerOperations] = field(default_factory=dict)
    """Each declared OCPP charger's operations (reset, availability, ...)."""


def context_of(request: Request) -> WebContext:
    """The site behind the app that serves ``request`` (a route's dependency)."""
    context = getattr(request.app.state, "web", None)
    if not isinstance(context, WebContext):
        raise ApiProblem(503, "this server runs without a site behind it")
    return context
