"""What every command shares: exit codes and loading a site file."""

from __future__ import annotations

import sys

from drivers.modbus.profile import ProfileLibrary
from edge.config.loader import ConfigError, load_config
from edge.config.schema import SiteConfig

EXIT_CONFIG = 2
EXIT_RUNTIME = 1


def load_site(path: str) -> SiteConfig | None:
    """Load a site file, printing every problem and returning None if it is bad."""
    try:
        return load_config(path, ProfileLibrary().ids())
    except ConfigError as exc:
        for issue in exc.issues:
            print(issue, file=sys.stderr)
        print(f"{len(exc.issues)} problem(s) in {path}", file=sys.stderr)
        return None
