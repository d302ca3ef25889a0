"""What drivers report to the domain: readings with both clocks' stamps.

A poll's raw outcome is a :class:`DeviceReading` (every row of the profile, by
measurement) or a :class:`DeviceSilent`. What an EVSE relies on comes typed, per
device kind: a :class:`MeterReading`, a :class:`BoardReading`, a
:class:`ContactorReading`, each built by its driver from the raw one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from edge.model.measurement import Measurement
from edge.model.pilot import CpState


@dataclass(frozen=True)
class DeviceReading:
    """One poll of a device: values in canonical units (symbols for states).

    ``mono`` is the site-monotonic time the read finished, ``utc`` the same as a
    timestamp for records. Values the device marked "not available" are absent
    (and, when read in this poll, listed in ``unavailable``).

    A value read in an earlier poll (a slow row polled in rotation) is carried
    with the time it was read on the wire (``read_at``), never with this poll's:
    a consumer judges the freshness of what it relies on by :meth:`read_time`.
    """

    device: str
    values: Mapping[Measurement, float | str]
    mono: float
    utc: datetime
    read_at: Mapping[Measurement, float] = field(default_factory=dict)
    """Site-monotonic time each value of ``values`` was read on the wire; a
    value missing here was read in this poll (``mono``)."""
    unavailable: frozenset[Measurement] = frozenset()
    """Rows read in this poll that answered "not available" (a NaN or infinite
    float, or the profile's sentinel): a register that lost its value."""

    def number(self, m: Measurement) -> float | None:
        """The value of ``m`` as a number, if present and numeric."""
        v = self.values.get(m)
        return v if isinstance(v, float) else None

    def read_time(self, m: Measurement) -> float | None:
        """When the value of ``m`` was read on the wire; None if absent."""
        if m not in self.values:
            return None
        return self.read_at.get(m, self.mono)


@dataclass(frozen=True)
class DeviceSilent:
    """A device did not answer a poll (timeout, exception, garbled frame)."""

    device: str
    error: str
    mono: float


@dataclass(frozen=True)
class Timed:
    """A value with the site-monotonic time it was read on the wire."""

    value: float
    read_at: float


@dataclass(frozen=True)
class MeterReading:
    """One poll of an energy meter: energy in Wh, power in W, currents in A.

    Each value is the latest one read, with the time it was read on the wire (a
    slow row read in an earlier poll keeps that poll's time); None when the
    meter has not given it. ``energy_unavailable``: the import energy register
    answered "not available" in this poll (a register that lost its value).
    """

    device: str
    mono: float
    utc: datetime
    energy_import_wh: Timed | None
    power_w: Timed | None
    currents_a: tuple[float | None, float | None, float | None]
    """Current on L1, L2, L3 (as the meter is wired), None where not read."""
    energy_unavailable: bool = False

    @property
    def max_current_a(self) -> float | None:
        """The highest phase current, if any was read."""
        read = [c for c in self.currents_a if c is not None]
        return max(read) if read else None


@dataclass(frozen=True)
class BoardReading:
    """One poll of an EVSE board: its pilot state and what it says of its relay.

    ``relay_closed`` and ``charging_enabled`` are None for boards that do not
    report them (or did not in this poll).
    """

    device: str
    mono: float
    cp: CpState
    relay_closed: bool | None = None
    charging_enabled: bool | None = None


@dataclass(frozen=True)
class ContactorReading:
    """One poll of a contactor's relay module, with its mirror contact's verdict.

    ``welded``: the main contacts stayed closed while commanded open;
    ``not_closed``: they stayed open while commanded closed. Each None while
    unknown (not read yet, or a command still settling).
    """

    device: str
    mono: float
    welded: bool | None
    not_closed: bool | None = None


MeterSink = Callable[[MeterReading | DeviceSilent], None]
BoardSink = Callable[[BoardReading | DeviceSilent], None]
ContactorSink = Callable[[ContactorReading | DeviceSilent], None]
