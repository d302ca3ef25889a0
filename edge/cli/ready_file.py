"""``edge run --ready-file PATH``: say, with a file, that the controller is READY.

The file appears (written whole, by rename) once :attr:`edge.app.Site.ready` is
set: every card reader's port open, every device polled once, the uplink
registered or known offline. It holds one JSON object: the process id, the site
time of readiness (``ready_at``, ISO 8601 UTC) and the parts that came up. A
stale file from an earlier run is removed at start and the file is removed again
at a clean exit, so that while a controller runs the file means "this one is
READY". A file is what a harness in another process (or ``hal-sim serve
--start-when``) can wait on without a pipe to our stdout.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the CLI imports the controller only for the commands that run it
    from edge.app import Site

log = logging.getLogger(__name__)


def add_ready_flag(parser: argparse.ArgumentParser) -> None:
    """Add ``--ready-file``."""
    parser.add_argument(
        "--ready-file",
        help="write this file once the controller is READY (readers open, buses "
        "polled, uplink decided); `hal-sim serve --start-when` waits for it",
    )


def clear(path: Path) -> None:
    """Remove a ready file left by an earlier run (or by this one, at exit)."""
    path.unlink(missing_ok=True)


async def announce(site: Site, path: Path) -> None:
    """Wait for the site to be READY, then write ``path`` atomically."""
    await site.ready.wait()
    ready_at = site.ready.ready_at
    text = json.dumps(
        {
            "pid": os.getpid(),
            "ready_at": None if ready_at is None else ready_at.isoformat(),
            "parts": site.ready.parts,
        }
    )
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text + "\n", encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:  # the controller runs on; only the announcement fails
        log.error("cannot write the ready file %s: %s (check --ready-file)", path, exc)
