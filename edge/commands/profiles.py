"""``edge profiles``: the device models the drivers know."""

from __future__ import annotations

import argparse
import json

from drivers.modbus.profile import ProfileLibrary


def cmd_profiles(args: argparse.Namespace) -> int:
    """List the device profiles."""
    lib = ProfileLibrary()
    rows = []
    for pid in lib.ids():
        p = lib.get(pid)
        rows.append(
            {
                "id": pid,
                "kind": str(p.kind),
                "manufacturer": p.manufacturer,
                "model": p.model,
                "products": list(p.products),
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        print(f"{r['id']:<28} {r['kind']:<11} {r['manufacturer']} {r['model']}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``profiles``."""
    prof = sub.add_parser("profiles", help="list device profiles")
    prof.add_argument("--json", action="store_true")
    prof.set_defaults(func=cmd_profiles)
