"""What the simulated 1.6J charge point sends and gets back, typed.

The central system's answers as the charger reads them (:class:`Boot`,
:class:`IdTagAnswer`, :class:`StartAnswer`), its CALLERROR as
:class:`CallRefused`, a transaction message queued while the link is down
(:class:`Queued`), and one MeterValue as a charger writes it (:func:`energy`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from hal_sim.ocpp.times import central_time, wire


class CallRefused(Exception):
    """The central system answered a call with a CALLERROR."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description


@dataclass(frozen=True)
class Boot:
    """The central system's answer to BootNotification."""

    status: str
    interval_s: int
    current_time: datetime


@dataclass(frozen=True)
class IdTagAnswer:
    """The central system's ``idTagInfo``."""

    status: str
    parent_id_tag: str | None = None
    expiry_date: datetime | None = None


def id_tag_info(raw: object) -> IdTagAnswer:
    """The ``idTagInfo`` of an answer, as the package parsed it (snake_case)."""
    info = raw if isinstance(raw, dict) else {}
    expiry = info.get("expiry_date")
    return IdTagAnswer(
        str(info.get("status")),
        info.get("parent_id_tag"),
        None if expiry is None else central_time(str(expiry)),
    )


@dataclass(frozen=True)
class StartAnswer:
    """The central system's answer to StartTransaction."""

    transaction_id: int
    id_tag_info: IdTagAnswer


@dataclass(frozen=True)
class Queued:
    """A transaction message kept while the link is down (1.6 section 4.7)."""

    action: str
    fields: dict[str, object]
    local_id: int | None = None
    """A queued StartTransaction's local id, for the messages that follow it."""


def energy(
    at: datetime,
    energy_wh: float,
    unit: str = "Wh",
    power_w: float | None = None,
    currents_a: tuple[float, ...] = (),
    context: str = "Sample.Periodic",
) -> dict[str, object]:
    """One 1.6 MeterValue: the energy register, with power and currents if given."""
    value = f"{energy_wh / 1000:.3f}" if unit == "kWh" else str(round(energy_wh))
    sampled: list[dict[str, object]] = [
        {
            "value": value,
            "context": context,
            "measurand": "Energy.Active.Import.Register",
            "unit": unit,
        }
    ]
    if power_w is not None:
        sampled.append(
            {"value": f"{power_w:.0f}", "measurand": "Power.Active.Import", "unit": "W"}
        )
    for phase, amps in zip(("L1", "L2", "L3"), currents_a, strict=False):
        sampled.append(
            {
                "value": f"{amps:.1f}",
                "measurand": "Current.Import",
                "phase": phase,
                "unit": "A",
            }
        )
    return {"timestamp": wire(at), "sampled_value": sampled}
