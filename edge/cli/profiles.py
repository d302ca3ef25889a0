"""``edge profiles``: the device models the drivers know.

For EVSE boards it says what the controller relies on: whether the board has a
watchdog (and its period; the bus feeds it every third of that, and a board not
fed falls back to its own safe current: a controller that dies leaves it safe)
and whether it reports its own relay (checked against the command). A board
without one is opened by the site's last act on shutdown (every contactor open,
its offer 0 A, while the buses still run); a controller killed outright leaves
it at its last setpoint, and the line says so.
"""

from __future__ import annotations

import argparse
import json

from drivers.modbus.profile import DeviceKind, Profile, ProfileLibrary
from edge.model.measurement import Measurement


def board_traits(p: Profile) -> dict[str, object]:
    """What an EVSE board profile declares about watchdog and relay feedback."""
    return {
        "watchdog_s": p.watchdog_s,
        "reports_relay": p.register(Measurement.RELAY_CLOSED) is not None,
    }


def _traits_text(traits: dict[str, object]) -> str:
    period = traits["watchdog_s"]
    watchdog = (
        "no watchdog: opened at shutdown, a crashed controller leaves its setpoint"
        if period is None
        else f"watchdog {period:g} s: its safe current when the controller dies"
    )
    relay = "reports its relay" if traits["reports_relay"] else "no relay feedback"
    return f" ({watchdog}; {relay})"


def cmd_profiles(args: argparse.Namespace) -> int:
    """List the device profiles."""
    lib = ProfileLibrary()
    rows = []
    for pid in lib.ids():
        p = lib.get(pid)
        row: dict[str, object] = {
            "id": pid,
            "kind": str(p.kind),
            "manufacturer": p.manufacturer,
            "model": p.model,
            "products": list(p.products),
        }
        if p.kind is DeviceKind.EVSE_BOARD:
            row.update(board_traits(p))
        rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        extra = _traits_text(r) if "watchdog_s" in r else ""
        print(f"{r['id']:<28} {r['kind']:<11} {r['manufacturer']} {r['model']}{extra}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``profiles``."""
    prof = sub.add_parser("profiles", help="list device profiles")
    prof.add_argument("--json", action="store_true")
    prof.set_defaults(func=cmd_profiles)
