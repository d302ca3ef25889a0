"""The HTTP client to the backoffice: calls, their failures, backoff.

The only httpx importer is :mod:`.http_client` (one request on a lane; the plain
GET of a document); the OCPI headers and envelope on it are :mod:`.ocpi_client`.
Every failure is an :class:`OcpiError`.
"""

from edge.uplink.ocpi.client.backoff import Link, backoff_s, with_retry_after
from edge.uplink.ocpi.client.failures import (
    DestinationRefused,
    HandshakeError,
    HttpStatusError,
    MalformedResponse,
    NotRegistered,
    OcpiError,
    OcpiStatusError,
    RequestTimeout,
    TransportError,
)
from edge.uplink.ocpi.client.ocpi_client import (
    Method,
    OcpiClient,
    Reply,
    Route,
    authorization,
)

__all__ = [
    "DestinationRefused",
    "HandshakeError",
    "HttpStatusError",
    "Link",
    "MalformedResponse",
    "Method",
    "NotRegistered",
    "OcpiClient",
    "OcpiError",
    "OcpiStatusError",
    "Reply",
    "RequestTimeout",
    "Route",
    "TransportError",
    "authorization",
    "backoff_s",
    "with_retry_after",
]
