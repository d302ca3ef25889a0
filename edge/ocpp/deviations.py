"""A charger model's known deviations, tolerated where they occur and counted.

Before a CALL is checked against its schema, :meth:`Tolerances.mend` looks at
the ways the payload breaks the schema (:func:`edge.ocpp.frames.faults`). A
fault that one of the model's deviations (:mod:`edge.ocpp.charger_models`)
explains exactly (its kind's rule, its action, its field, and for an alias
its wrong value) is mended in a copy of the payload, and the deviation's name
is returned as fired; then the mended payload is checked again, strictly.
A fault no deviation explains is left as it is, so the charger gets the
CALLERROR it would get without a profile; a message with such a fault is
answered with it even if other faults in it were mended.

Each deviation is counted per charger when it fired in a message that was then
accepted (:attr:`Tolerances.counts`; the connection logs its first fire).
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from edge.config.ocpp import OcppProtocol
from edge.ocpp import frames
from edge.ocpp.charger_models import Deviation, ModelProfile, Tolerance

_NAIVE = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?")
MAX_ROUNDS = 8
"""Mend, check again: at most this many times (each round mends all it can)."""


def field_of(path: tuple[str | int, ...]) -> str:
    """A fault's path as a profile names fields: ``meterValue[].timestamp``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += "[]"
        else:
            out += f".{part}" if out else part
    return out


def _mended(t: Tolerance, fault: frames.SchemaFault) -> object | None:
    """The value ``t`` puts in place of the faulty one, if it explains it."""
    value = fault.value
    match t.kind:
        case Deviation.ENUM_ALIAS if fault.rule == "enum":
            members = fault.bound if isinstance(fault.bound, list) else []
            if value == t.spelled and t.taken_as in members:
                return t.taken_as
        case Deviation.TOO_LONG if fault.rule == "maxLength":
            if isinstance(value, str) and isinstance(fault.bound, int):
                return value[: fault.bound]
        case Deviation.NAIVE_TIME_UTC if fault.rule == "format":
            if isinstance(value, str) and _NAIVE.fullmatch(value) is not None:
                return f"{value}Z"
    return None


def _put(payload: dict[str, Any], path: tuple[str | int, ...], value: object) -> None:
    node: Any = payload
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


@dataclass(frozen=True)
class Mended:
    """A payload after its model's deviations: what to check, and what fired."""

    payload: dict[str, Any]
    fired: tuple[str, ...]
    """The names of the deviations that mended it, once each."""


class Tolerances:
    """The known deviations of one charger's model (none: nothing is mended)."""

    def __init__(self, protocol: OcppProtocol, profile: ModelProfile | None) -> None:
        self.protocol = protocol
        self.profile = profile
        self.counts: Counter[str] = Counter()
        """How often each deviation fired in a message that was then accepted."""
        self._by_action: dict[str, list[Tolerance]] = {}
        for t in () if profile is None else profile.deviation:
            self._by_action.setdefault(t.action, []).append(t)

    def mend(self, action: str, payload: dict[str, Any]) -> Mended:
        """``payload`` with every fault its model's deviations explain mended."""
        scoped = self._by_action.get(action)
        if not scoped:
            return Mended(payload, ())
        fired: list[str] = []
        mended = payload
        for _ in range(MAX_ROUNDS):
            changes = []
            for fault in frames.faults(self.protocol, action, mended):
                if not fault.path:
                    continue
                field = field_of(fault.path)
                for t in scoped:
                    if t.field != field:
                        continue
                    value = _mended(t, fault)
                    if value is not None:
                        changes.append((fault.path, value, t.name))
                        break
            if not changes:
                break
            if mended is payload:
                mended = copy.deepcopy(payload)
            for path, value, name in changes:
                _put(mended, path, value)
                if name not in fired:
                    fired.append(name)
        return Mended(mended, tuple(fired))
