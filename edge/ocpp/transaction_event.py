"""OCPP 2.0.1 TransactionEvent as a typed record, and its seqNo rules (pure).

A 2.0.1 station tells one transaction in events (Started, Updated..., Ended),
each with the station's own ``transactionId`` and a ``seqNo`` that counts every
TransactionEvent of that transaction from 0 (the spec's E01-E15). What the
central system makes of a sequence:

* an event whose (transactionId, seqNo) was taken before is a **repeat** (a
  station resending after a lost answer or a reconnect): answered, changing
  nothing (:func:`verdict`);
* a seqNo beyond the next expected one leaves a **gap** (events lost, or still
  queued at the station): the event is taken, the gap logged with what is
  missing; a later event that fills it is taken too;
* ``offline`` events were queued while the link was down: they are taken on
  their own timestamps.

The meter values are 2.0.1's (a number, ``unitOfMeasure`` with a power-of-ten
multiplier); :func:`as_16_samples` writes them in the 1.6 shape so that one set
of billing rules (the register, its unit) reads both versions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from edge.ocpp.times import charger_time


class EventType(StrEnum):
    """``TransactionEventEnumType``."""

    STARTED = "Started"
    UPDATED = "Updated"
    ENDED = "Ended"


@dataclass(frozen=True)
class TxEvent:
    """One TransactionEvent, as the station sent it (schema-valid)."""

    event_type: EventType
    timestamp: datetime
    trigger: str
    seq_no: int
    transaction_id: str
    charging_state: str | None
    stopped_reason: str | None
    remote_start_id: int | None
    offline: bool
    evse_id: int | None
    connector_id: int | None
    id_token: str | None
    id_token_type: str | None
    meter_values: tuple[dict[str, Any], ...]

    @classmethod
    def of(cls, p: dict[str, Any]) -> TxEvent:
        """From a payload valid against TransactionEventRequest."""
        info = p["transactionInfo"]
        evse = p.get("evse") or {}
        token = p.get("idToken") or {}
        return cls(
            event_type=EventType(p["eventType"]),
            timestamp=charger_time(p["timestamp"]),
            trigger=str(p["triggerReason"]),
            seq_no=int(p["seqNo"]),
            transaction_id=str(info["transactionId"]),
            charging_state=info.get("chargingState"),
            stopped_reason=info.get("stoppedReason"),
            remote_start_id=info.get("remoteStartId"),
            offline=bool(p.get("offline", False)),
            evse_id=evse.get("id"),
            connector_id=evse.get("connectorId"),
            id_token=token.get("idToken"),
            id_token_type=token.get("type"),
            meter_values=tuple(p.get("meterValue", ())),
        )


def as_16_samples(meter_value: dict[str, Any]) -> dict[str, Any]:
    """A 2.0.1 ``MeterValueType`` in the 1.6 shape (values as decimal strings).

    The multiplier is applied (``value * 10**multiplier`` in the unit given);
    a signed value keeps its plain value and is marked ``SignedData`` as 1.6
    marks it, so that billing rules that refuse signed data still see it.
    """
    samples = []
    for s in meter_value["sampledValue"]:
        unit = s.get("unitOfMeasure") or {}
        value = float(s["value"]) * 10.0 ** int(unit.get("multiplier", 0))
        out: dict[str, Any] = {"value": _decimal(value)}
        for key in ("measurand", "phase", "location", "context"):
            if key in s:
                out[key] = s[key]
        if "unit" in unit:
            out["unit"] = unit["unit"]
        if "signedMeterValue" in s:
            out["format"] = "SignedData"
        samples.append(out)
    return {"timestamp": meter_value["timestamp"], "sampledValue": samples}


def _decimal(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return text or "0"


@dataclass(frozen=True)
class Take:
    """Take the event; how many seqNos before it are still not seen."""

    missing: int = 0
    first_missing: tuple[int, ...] = ()
    """The lowest of them, at most five (for the log)."""


@dataclass(frozen=True)
class Repeat:
    """The station sent this (transactionId, seqNo) before: answer, change nothing."""


def verdict(seen: Iterable[int], seq_no: int) -> Take | Repeat:
    """What to do with event ``seq_no`` of a transaction whose ``seen`` are taken."""
    taken = set(seen)
    if seq_no in taken:
        return Repeat()
    before = sum(1 for n in taken if n < seq_no)
    missing = seq_no - before
    first: list[int] = []
    n = 0
    while len(first) < min(missing, 5):  # at most len(taken) + 5 steps
        if n not in taken:
            first.append(n)
        n += 1
    return Take(missing, tuple(first))
