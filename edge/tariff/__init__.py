"""OCPI 2.2.1 tariff engine: price a session, build a CDR's cost fields, quote.

* :func:`compute_cost` - pure engine: Tariff + charging periods -> :class:`TariffCost`.
* :func:`quote` - JSON in (Tariff, CDR without costs), JSON-ready cost fields out.
"""

from edge.tariff.engine import compute_cost
from edge.tariff.errors import TariffError
from edge.tariff.quote import CdrInput, TariffQuoteError, quote
from edge.tariff.result import CostCategory, CostLine, Money, TariffCost

__all__ = [
    "CdrInput",
    "CostCategory",
    "CostLine",
    "Money",
    "TariffCost",
    "TariffError",
    "TariffQuoteError",
    "compute_cost",
    "quote",
]
