"""``edge tariff quote TARIFF.json CDR.json``: check a bill.

Reads an OCPI 2.2.1 Tariff and a CDR whose cost fields may be absent, and prints
the CDR's cost fields as JSON (see :func:`edge.tariff.quote`). Bad input is
reported with the file and the field, and exits with 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from edge.cli.common import EXIT_CONFIG, EXIT_RUNTIME
from edge.tariff import TariffQuoteError, quote


def _read(path: str, what: str) -> bytes | None:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        reason = exc.strerror or str(exc)
        print(f"{path}: cannot read the {what} file: {reason}", file=sys.stderr)
        return None


def _where(line: str, tariff_path: str, cdr_path: str) -> str:
    """Prefix an error line with the file it is about."""
    if line.startswith("cdr"):
        return f"{cdr_path}: {line}"
    if line.startswith("tariff"):
        return f"{tariff_path}: {line}"
    return f"{tariff_path}, {cdr_path}: {line}"


def cmd_quote(args: argparse.Namespace) -> int:
    """Print the cost fields of a CDR under a tariff."""
    tariff = _read(args.tariff, "tariff")
    cdr = _read(args.cdr, "CDR")
    if tariff is None or cdr is None:
        return EXIT_CONFIG
    try:
        costs = quote(tariff, cdr)
    except TariffQuoteError as exc:
        for line in str(exc).splitlines():
            print(_where(line, args.tariff, args.cdr), file=sys.stderr)
        return EXIT_CONFIG
    except ArithmeticError as exc:  # e.g. a volume of 1e300 overflows the Decimals
        print(
            f"{args.tariff}, {args.cdr}: a number is out of range "
            f"({type(exc).__name__})",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    except Exception as exc:  # noqa: BLE001 - CLI boundary: a message, not a traceback
        print(
            f"internal error while quoting {args.cdr} under {args.tariff}: "
            f"{type(exc).__name__}: {exc}",
            file=sys.stderr,
        )
        return EXIT_RUNTIME
    print(json.dumps(costs, indent=2))
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``tariff quote``."""
    tariff = sub.add_parser("tariff", help="OCPI tariffs")
    actions = tariff.add_subparsers(dest="action", required=True)
    q = actions.add_parser(
        "quote", help="print the cost fields of an OCPI CDR under an OCPI Tariff"
    )
    q.add_argument("tariff", metavar="TARIFF.json", help="an OCPI 2.2.1 Tariff object")
    q.add_argument(
        "cdr",
        metavar="CDR.json",
        help="an OCPI 2.2.1 CDR; cost fields may be absent; "
        "cdr_location.time_zone (IANA) is needed for local-time restrictions",
    )
    q.set_defaults(func=cmd_quote)
