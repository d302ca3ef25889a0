"""The page's views of the site file's check and of load management."""

from __future__ import annotations

from pathlib import Path

from edge.load.allocator import Charge
from edge.load.manager import LoadManager
from edge.load.site import Metered

SITE_CHECK = Path("/var/lib/edge-provision/site-check.txt")
"""What ``edge-provision`` wrote at boot about ``site.toml`` (image/provision)."""
MAX_CHECK_BYTES = 64 * 1024


def site_check(path: Path) -> dict[str, object]:
    """The boot-time check of the site file: its text, or why there is none."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_CHECK_BYTES)
    except FileNotFoundError:
        return {"path": str(path), "text": None, "note": "no boot-time check here"}
    except OSError as exc:
        return {"path": str(path), "text": None, "note": f"cannot read it: {exc}"}
    text = data.decode("utf-8", errors="replace")
    first = text.strip().splitlines()[0] if text.strip() else ""
    return {
        "path": str(path),
        "text": text,
        "note": None,
        "rejected": first.lower().startswith("rejected"),
    }


def load_doc(load: LoadManager | None, now_s: float) -> dict[str, object]:
    """Each circuit's limit, measured and allocated current; each EVSE's setpoint."""
    if load is None:
        return {"enabled": False, "circuits": [], "setpoints": [], "failsafe": []}
    allocation = load.allocation
    circuits: list[dict[str, object]] = []
    for circuit in load.site.circuits():
        sample = load.grid.get(circuit.id)
        circuits.append(
            {
                "id": circuit.id,
                "limit_a": list(circuit.limit_a),
                "metered": isinstance(circuit.source, Metered),
                "measured_a": None if sample is None else list(sample.currents_a),
                "age_s": None if sample is None else max(0.0, now_s - sample.read_at),
                "load_a": None
                if allocation is None or circuit.id not in allocation.load_a
                else list(allocation.load_a[circuit.id]),
                "evses": [leaf.uid for leaf in circuit.leaves()],
            }
        )
    setpoints: list[dict[str, object]] = []
    if allocation is not None:
        for uid, setpoint in sorted(allocation.setpoints.items()):
            setpoints.append(
                {
                    "evse_uid": uid,
                    "current_a": setpoint.current_a
                    if isinstance(setpoint, Charge)
                    else 0.0,
                    "why": str(setpoint.why),
                }
            )
    return {
        "enabled": True,
        "circuits": circuits,
        "setpoints": setpoints,
        "failsafe": sorted(allocation.failsafe) if allocation else [],
    }
