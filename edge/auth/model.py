"""Old home of the token types, kept only for importers that are being moved.

``edge/uplink/ocpi/remote_auth.py`` and ``tests/unit/uplink/test_session_auth.py``
import from here while the uplink is regrouped (issue 12). New code imports
:mod:`edge.model.tokens` and :mod:`edge.auth.remote`; delete this module once
those two do.
"""

from edge.auth.remote import RemoteAnswer, RemoteAuthorizer, UnknownOffline
from edge.model.tokens import CachedToken, TokenSource

__all__ = [
    "CachedToken",
    "RemoteAnswer",
    "RemoteAuthorizer",
    "TokenSource",
    "UnknownOffline",
]
