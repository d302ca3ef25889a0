"""The uplink's own exceptions: every httpx error is translated into one of these.

:mod:`edge.uplink.ocpi.client.http_client` (no answer) and
:mod:`edge.uplink.ocpi.client.ocpi_client` (an answer that is not a 1xxx envelope)
raise them;
:mod:`edge.uplink.ocpi.push.verdicts` decides what each means for delivery
(retry, dead letter, fix the credentials).
"""

from __future__ import annotations


class OcpiError(Exception):
    """Talking OCPI failed; ``reason`` is a sentence for the operator."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransportError(OcpiError):
    """No usable answer at the HTTP level: refused, reset, dropped, TLS, DNS."""


class RequestTimeout(TransportError):
    """The receiver did not answer in time (the request may have been processed)."""


class HttpStatusError(OcpiError):
    """The receiver answered with an HTTP error status (4xx, 5xx).

    ``ocpi_status`` and ``ocpi_message`` are set when the body still carried an
    OCPI envelope; ``retry_after_s`` when a ``Retry-After`` header was given.
    """

    def __init__(
        self,
        reason: str,
        http_status: int,
        *,
        retry_after_s: float | None = None,
        ocpi_status: int | None = None,
        ocpi_message: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.http_status = http_status
        self.retry_after_s = retry_after_s
        self.ocpi_status = ocpi_status
        self.ocpi_message = ocpi_message


class MalformedResponse(OcpiError):
    """An HTTP 2xx answer that is not a usable OCPI response.

    Not JSON, no envelope, or ``data`` that does not match the module's object.
    """

    def __init__(self, reason: str, http_status: int) -> None:
        super().__init__(reason)
        self.http_status = http_status


class OcpiStatusError(OcpiError):
    """A well-formed OCPI response whose ``status_code`` is not 1xxx."""

    def __init__(
        self,
        reason: str,
        status_code: int,
        status_message: str | None,
        http_status: int,
        where: str = "",
    ) -> None:
        super().__init__(reason)
        self.status_code = status_code
        self.status_message = status_message
        self.http_status = http_status
        self.where = where
        """The request (method and URL)."""


class DestinationRefused(OcpiError):
    """Not sent: the URL is not a place this request may go (see ``peer_policy``)."""


class NotRegistered(OcpiError):
    """No usable credentials (token C) or no endpoint for the module yet."""


class HandshakeError(OcpiError):
    """The credentials registration, update or removal failed."""
