"""Push: drain the outbox to the backoffice's receivers.

The drain (:mod:`.drain`) claims rows, the planner rebuilds each object from the
store (:mod:`.objects`, mapped by :mod:`.mapping` and :mod:`.mapping_cdr`), and
:mod:`.verdicts` says what an answer means for delivery.
"""

from edge.uplink.ocpi.push.drain import Peer, Sender, SenderSettings, SenderStats
from edge.uplink.ocpi.push.objects import (
    BUILD_ERRORS,
    build_failure,
    current_location,
    session_auth,
    session_cdr,
)
from edge.uplink.ocpi.push.planner import (
    PREREQUISITES,
    RECEIVER_MODULE,
    Defer,
    Done,
    Fail,
    Plan,
    Planner,
    PushRequest,
    Send,
    Target,
)

__all__ = [
    "BUILD_ERRORS",
    "PREREQUISITES",
    "RECEIVER_MODULE",
    "Defer",
    "Done",
    "Fail",
    "Peer",
    "Plan",
    "Planner",
    "PushRequest",
    "Send",
    "Sender",
    "SenderSettings",
    "SenderStats",
    "Target",
    "build_failure",
    "current_location",
    "session_auth",
    "session_cdr",
]
