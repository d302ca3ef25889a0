"""Which of our functional modules the CPO server serves: role, paths, methods.

* our **Sender** interfaces (locations, sessions, CDRs, tariffs: the GETs of
  :class:`~edge.uplink.ocpi.serve.object_gets.SenderApi`), published;
* the Sessions Sender's ``PUT .../{session_id}/charging_preferences``, served
  but not published again (it is the Sessions module's, published with its GET);
* the **Tokens** receiver (GET, PUT, PATCH of one token);
* the **Commands** receiver (POST of a command): without a site port for
  commands it still answers (NOT_SUPPORTED) but is not published.

Versions and credentials are the server's own (:mod:`.routes`).
"""

from __future__ import annotations

from edge.ocpi import InterfaceRole, ModuleID
from edge.uplink.ocpi.serve.charging_preferences import ChargingPreferencesApi
from edge.uplink.ocpi.serve.commands_receiver import CommandsReceiver
from edge.uplink.ocpi.serve.object_gets import SenderApi
from edge.uplink.ocpi.serve.routes import CpoServer
from edge.uplink.ocpi.serve.tokens_receiver import TokensReceiver


def serve_modules(
    server: CpoServer,
    senders: SenderApi,
    preferences: ChargingPreferencesApi,
    tokens: TokensReceiver,
    commands: CommandsReceiver,
    *,
    publish_commands: bool,
) -> None:
    """Serve our Sender interfaces and the Tokens and Commands receivers."""
    for ep in senders.endpoints():
        server.serve(
            ep.module,
            InterfaceRole.SENDER,
            [(path, handler, ["GET"]) for path, handler in ep.routes],
        )
    server.serve(  # the Sessions Sender's PUT (published with its GET above)
        ModuleID.SESSIONS,
        InterfaceRole.SENDER,
        [("/{session_id}/charging_preferences", preferences.put, ["PUT"])],
        publish=False,
    )
    one = "/{country_code}/{party_id}/{token_uid}"
    server.serve(
        ModuleID.TOKENS,
        InterfaceRole.RECEIVER,
        [
            (one, tokens.get, ["GET"]),
            (one, tokens.put, ["PUT"]),
            (one, tokens.patch, ["PATCH"]),
        ],
    )
    server.serve(
        ModuleID.COMMANDS,
        InterfaceRole.RECEIVER,
        [("/{command}", commands.post, ["POST"])],
        publish=publish_commands,
    )
