"""What drivers report to the domain: typed readings with both clocks' stamps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from edge.model.measurement import Measurement


@dataclass(frozen=True)
class DeviceReading:
    """One poll of a device: values in canonical units (symbols for states).

    ``mono`` is the site-monotonic time the read finished, ``utc`` the same as a
    timestamp for records. Values the device marked "not available" are absent.
    """

    device: str
    values: Mapping[Measurement, float | str]
    mono: float
    utc: datetime

    def number(self, m: Measurement) -> float | None:
        """The value of ``m`` as a number, if present and numeric."""
        v = self.values.get(m)
        return v if isinstance(v, float) else None


@dataclass(frozen=True)
class DeviceSilent:
    """A device did not answer a poll (timeout, exception, garbled frame)."""

    device: str
    error: str
    mono: float
