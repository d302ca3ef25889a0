"""An OCPI party (country code and party id): a value both sides of the wire use."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Party:
    """An OCPI party: country code and party id."""

    country_code: str
    party_id: str

    def __str__(self) -> str:
        return f"{self.country_code}*{self.party_id}"
