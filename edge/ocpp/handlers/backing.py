"""What the OCPP handlers use of the site: its store and its authorization.

The composition root builds one :class:`SiteBacking` and gives it to the
central system (:class:`edge.ocpp.service.OcppService`): the same database and
authorization service as the board EVSEs, so that an OCPP charger's sessions
and cards are the site's own.
"""

from __future__ import annotations

from dataclasses import dataclass

from edge.config.ocpp import OcppCharger
from edge.logthrottle import Throttle
from edge.model.authorization import Authorization
from edge.model.clock import Clock
from edge.ocpp.ledger import ChargerLedger
from edge.store.db import Database


@dataclass(frozen=True)
class SiteBacking:
    """The site's store and authorization service, shared with the board EVSEs."""

    db: Database
    """The site's database: OCPP sessions go into its sessions and OCPI outbox."""
    authorization: Authorization
    """Decides about every idTag (the OCPI whitelist rules of the site)."""


@dataclass(frozen=True)
class TxContext:
    """What one charger's transaction handlers work with, either version.

    :class:`~.v16_billing.Billing`, :class:`~.v16_tx.V16Transactions` and
    :class:`~.v201_tx.V201Transactions` are each given it once
    (:class:`edge.ocpp.routes.ChargerContext` is one).
    """

    charger: OcppCharger
    site: SiteBacking
    clock: Clock
    ledger: ChargerLedger
    """The charger's followed transactions and shown draws."""
    quiet: Throttle
    """Throttles the charger's repeated refusal log lines."""
