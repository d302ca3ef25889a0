"""Pull: the eMSP's tokens into the cache, and real-time authorization."""

from edge.uplink.ocpi.pull.remote_auth import RemoteTokens
from edge.uplink.ocpi.pull.token_pull import (
    MemoryTokenSink,
    PullResult,
    TokenCache,
    TokenPuller,
    TokenSink,
    TokenSource,
)

__all__ = [
    "MemoryTokenSink",
    "PullResult",
    "RemoteTokens",
    "TokenCache",
    "TokenPuller",
    "TokenSink",
    "TokenSource",
]
