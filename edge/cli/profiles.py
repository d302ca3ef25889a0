"""``edge profiles``: the device models the drivers know, and the OCPP charger models.

An OCPP charger model (kind ``ocpp``) lists the named deviations from OCPP its
profile tolerates (``edge/ocpp/charger_models/``).

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
    rows += charger_model_rows()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for r in rows:
        extra = _traits_text(r) if "watchdog_s" in r else ""
        tolerated = r.get("deviations")
        if isinstance(tolerated, list):
            extra = f" (tolerated: {', '.join(map(str, tolerated))})"
        print(f"{r['id']:<28} {r['kind']:<11} {r['manufacturer']} {r['model']}{extra}")
    return 0


def charger_model_rows() -> list[dict[str, object]]:
    """The OCPP charger models (``model`` of an ``[[ocpp.charger]]``)."""
    from edge.ocpp import charger_models

    rows: list[dict[str, object]] = []
    for model_id in charger_models.ids():
        p = charger_models.load(model_id)
        rows.append({
            "id": model_id,
            "kind": "ocpp",
            "manufacturer": p.manufacturer,
            "model": p.model,
            "products": list(p.products),
            "deviations": [t.name for t in p.deviation],
        })  # fmt: skip
    return rows


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``profiles``."""
    prof = sub.add_parser("profiles", help="list device profiles")
    prof.add_argument("--json", action="store_true")
    prof.set_defaults(func=cmd_profiles)
