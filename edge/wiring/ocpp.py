"""The OCPP central system, wired: each charger's connector is an EVSE of the site."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from edge.auth.authorizer import Authorizer
from edge.config.schema import SiteConfig
from edge.evse.site_commands import AskUnlock
from edge.model.clock import Clock
from edge.ocpp.evse import OcppEvse, ocpp_evses
from edge.ocpp.operations import ChargerOperations, charger_operations
from edge.ocpp.service import OcppService
from edge.store.db import Database


@dataclass
class OcppWiring:
    """The OCPP service and the EVSEs its chargers' connectors are."""

    service: OcppService
    ports: dict[str, OcppEvse]

    def unlocks(self) -> dict[str, AskUnlock]:
        """Each connector's unlock, for the remote commands."""
        return {uid: port.unlock for uid, port in self.ports.items()}

    def chargers(self) -> dict[str, ChargerOperations]:
        """What the local API may ask of each charger."""
        return charger_operations(self.service.central)

    def on_status_recorded(self, wake: Callable[[], None]) -> None:
        """Call ``wake`` once a charger's status is in the outbox."""
        self.service.statuses.on_recorded(lambda _uid: wake())


def ocpp_from_config(
    config: SiteConfig, clock: Clock, db: Database, authorizer: Authorizer
) -> OcppWiring | None:
    """The central system the ``[ocpp]`` section enables, or None."""
    if config.ocpp is None or not config.ocpp.enabled:
        return None
    # The authorizer is also the token source of the chargers' local lists.
    service = OcppService(config.ocpp, clock, db, authorizer, tokens=authorizer)
    return OcppWiring(service, ocpp_evses(service.central, profiles=service.profiles))
