"""One open websocket to a charger, as the central system uses it."""

from __future__ import annotations

from typing import Protocol


class LinkClosed(Exception):
    """The websocket is closed (by either side, or lost)."""


class Link(Protocol):
    """Text frames to and from one charger (:mod:`edge.ocpp.server` makes them)."""

    @property
    def subprotocol(self) -> str | None:
        """The subprotocol agreed in the handshake (None: none was)."""
        ...

    async def recv(self) -> str | bytes:
        """The next frame (bytes: a binary frame); LinkClosed when closed."""
        ...

    async def send(self, text: str) -> None:
        """Send one text frame; LinkClosed when closed."""
        ...

    async def close(self, code: int, reason: str) -> None:
        """Close with a websocket close code and reason."""
        ...
