"""``edge config check FILE``."""

from __future__ import annotations

import argparse

from edge.commands.common import EXIT_CONFIG, load_site


def cmd_config_check(args: argparse.Namespace) -> int:
    """Validate a site file and print every problem."""
    config = load_site(args.file)
    if config is None:
        return EXIT_CONFIG
    print(
        f"{args.file}: OK ({len(config.evse)} EVSE, {len(config.bus)} bus, "
        f"{len(config.token)} token)"
    )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``config check``."""
    cfg = sub.add_parser("config", help="site file tools")
    cfg_sub = cfg.add_subparsers(dest="config_command", required=True)
    check = cfg_sub.add_parser("check", help="validate a site file")
    check.add_argument("file")
    check.set_defaults(func=cmd_config_check)
