"""Serve: our OCPI endpoints on a bounded HTTP server.

Versions and credentials, our Sender GETs (locations, sessions, CDRs, tariffs),
the Tokens and Commands receivers.
"""

from edge.uplink.ocpi.serve.bounded_uvicorn import Limits
from edge.uplink.ocpi.serve.command_results import Caller, ResultPoster
from edge.uplink.ocpi.serve.commands_receiver import (
    ACTION_TIMEOUT_S,
    CommandsReceiver,
    action_timeout_for,
)
from edge.uplink.ocpi.serve.http_server import Bound, bind, serving
from edge.uplink.ocpi.serve.object_gets import SenderApi
from edge.uplink.ocpi.serve.published import serve_modules
from edge.uplink.ocpi.serve.routes import CpoServer, server_limits
from edge.uplink.ocpi.serve.token_and_envelope import authorized, envelope
from edge.uplink.ocpi.serve.tokens_receiver import TokensReceiver

__all__ = [
    "ACTION_TIMEOUT_S",
    "Bound",
    "Caller",
    "CommandsReceiver",
    "CpoServer",
    "Limits",
    "ResultPoster",
    "SenderApi",
    "TokensReceiver",
    "action_timeout_for",
    "authorized",
    "bind",
    "envelope",
    "serve_modules",
    "server_limits",
    "serving",
]
