"""The ``edge`` command: one module per subcommand in this package.

To add a command: write ``edge/cli/<name>.py`` with a ``register(sub)`` function
and add the module to :data:`COMMANDS` below. (The EVSE's remote commands are
:mod:`edge.model.commands` and :mod:`edge.evse.commands`; OCPI's Commands module
is served by the uplink.)
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib import metadata
from types import ModuleType

from drivers.errors import ProfileError
from edge.cli import (
    api,
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
from edge.cli.common import EXIT_CONFIG
from edge.log import setup_logging

PRIVATE_UMASK = 0o077
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
    api,
    doctor,
]
"""The subcommands, in the order ``edge --help`` lists them."""


def version() -> str:
    """The installed distribution's version (the package's, on a site)."""
    try:
        return metadata.version("edge-site-controller")
    except metadata.PackageNotFoundError:  # a source tree that was never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    p = argparse.ArgumentParser(prog="edge", description="EV charging site controller")
    p.add_argument("-v", "--verbose", action="count", default=0, help="more logging")
    p.add_argument("--version", action="version", version=f"edge {version()}")
    sub = p.add_subparsers(dest="command", required=True)
    for module in COMMANDS:
        module.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``edge`` console script."""
    # Every file we create (database, credentials, exports) is ours alone; the
    # store tightens what it finds open (edge.store.private).
    umask = os.umask(PRIVATE_UMASK)
    try:
        args = build_parser().parse_args(argv)
        setup_logging(args.verbose)
        return int(args.func(args))
    except ProfileError as exc:
        print(f"profile error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130
    finally:
        os.umask(umask)  # for callers that embed main() (tests)
