"""Errors of the tariff engine."""

from __future__ import annotations


class TariffError(ValueError):
    """The tariff cannot price these periods (bad order, tariff not valid, ...).

    ``field`` names the offending input when there is one, as a path into the
    session or CDR (``charging_periods[2].start_date_time``); ``reason`` is the
    message without it.
    """

    def __init__(self, reason: str, *, field: str | None = None) -> None:
        """Build the error; ``str(error)`` is ``"field: reason"``."""
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field = field
        self.reason = reason
