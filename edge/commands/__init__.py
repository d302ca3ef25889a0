"""The ``edge`` subcommands, one module each; ``COMMANDS`` is the registry.

To add a command: write ``edge/commands/<name>.py`` with a ``register(sub)``
function and add the module to ``COMMANDS`` below.
"""

from __future__ import annotations

from types import ModuleType

from edge.commands import (
    config,
    doctor,
    ocpi,
    profiles,
    run,
    scan,
    sessions,
    sim,
    sync,
    tariff,
    tokens,
)

COMMANDS: list[ModuleType] = [
    run,
    sim,
    sessions,
    tokens,
    tariff,
    config,
    profiles,
    scan,
    sync,
    ocpi,
    doctor,
]
