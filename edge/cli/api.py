"""``edge api``: the local HTTP API's own document.

* ``edge api openapi [--out FILE]``: the OpenAPI document generated from the
  API's routes, as committed in ``edge/web/openapi.json`` (regenerate it with
  ``edge api openapi --out edge/web/openapi.json`` after changing a route).
"""

from __future__ import annotations

import argparse
import sys

from edge.cli.common import EXIT_RUNTIME


def cmd_openapi(args: argparse.Namespace) -> int:
    """Print (or write) the OpenAPI document."""
    from edge.web.server import openapi_text

    text = openapi_text()
    if args.out is None:
        sys.stdout.write(text)
        return 0
    try:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as exc:
        print(f"cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_RUNTIME
    print(f"wrote {args.out}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``api``."""
    api = sub.add_parser("api", help="the local HTTP API's OpenAPI document")
    api_sub = api.add_subparsers(dest="api_command", required=True)
    doc = api_sub.add_parser("openapi", help="print the OpenAPI document (JSON)")
    doc.add_argument("--out", metavar="FILE", help="write it to FILE instead")
    doc.set_defaults(func=cmd_openapi)
