"""What drivers report to the domain: typed readings with both clocks' stamps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from edge.model.measurement import Measurement


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
