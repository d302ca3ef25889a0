"""Registration with one backoffice: handshake, credentials, peer policy.

The credentials we hold, and the policy they give: where we may call, the TLS we
serve and expect.
"""

from edge.uplink.ocpi.registration.credentials import (
    CredentialsFileError,
    CredentialsStore,
    OcpiCredentials,
    PeerEndpoint,
    PeerRole,
    redact,
)
from edge.uplink.ocpi.registration.handshake import Handshake, ServerTokens, discover
from edge.uplink.ocpi.registration.peer_policy import (
    Destinations,
    Security,
    TlsConfigError,
    security,
)

__all__ = [
    "CredentialsFileError",
    "CredentialsStore",
    "Destinations",
    "Handshake",
    "OcpiCredentials",
    "PeerEndpoint",
    "PeerRole",
    "Security",
    "ServerTokens",
    "TlsConfigError",
    "discover",
    "redact",
    "security",
]
