"""What happened on the wire for one device, readable by the rest of the controller."""

from __future__ import annotations

from dataclasses import dataclass, field

from drivers.errors import BusError, DeviceFault, DeviceTimeout, DriverError
from drivers.modbus.client import FrameError


@dataclass
class DeviceCounters:
    """Per-device wire counters; every request sent is one transaction.

    A transaction ends answered (latency recorded) or in exactly one of:
    timeout, CRC error, framing error, exception (by code), bus error.
    ``bad_values`` counts answers whose content the profile cannot explain;
    ``regressions`` counts cumulative energy readings that went backwards.
    """

    transactions: int = 0
    timeouts: int = 0
    crc_errors: int = 0
    framing_errors: int = 0
    exceptions: int = 0
    exception_codes: dict[int, int] = field(default_factory=dict)
    bus_errors: int = 0
    retries: int = 0
    bad_values: int = 0
    regressions: int = 0
    answered_count: int = 0
    last_latency_ms: float = 0.0
    max_latency_ms: float = 0.0
    latency_total_ms: float = 0.0
    last_error: str | None = None

    @property
    def mean_latency_ms(self) -> float:
        """Mean time from request to answer over the answered transactions."""
        return (
            self.latency_total_ms / self.answered_count if self.answered_count else 0.0
        )

    @property
    def errors(self) -> int:
        """Transactions that did not end in a usable answer."""
        return (
            self.timeouts
            + self.crc_errors
            + self.framing_errors
            + self.exceptions
            + self.bus_errors
        )

    def answered(self, latency_ms: float) -> None:
        """Count one answered transaction."""
        self.answered_count += 1
        self.last_latency_ms = latency_ms
        self.max_latency_ms = max(self.max_latency_ms, latency_ms)
        self.latency_total_ms += latency_ms

    def record(self, latency_ms: float) -> None:
        """Count one transaction sent and answered (for callers outside a bus)."""
        self.transactions += 1
        self.answered(latency_ms)

    def failed(self, exc: DriverError) -> None:
        """Count one transaction that ended in ``exc``."""
        self.last_error = str(exc)
        if isinstance(exc, FrameError):
            if exc.kind == "crc":
                self.crc_errors += 1
            else:
                self.framing_errors += 1
        elif isinstance(exc, DeviceTimeout):
            self.timeouts += 1
        elif isinstance(exc, DeviceFault):
            self.exceptions += 1
            code = exc.exception_code
            if code is not None:
                self.exception_codes[code] = self.exception_codes.get(code, 0) + 1
        elif isinstance(exc, BusError):
            self.bus_errors += 1
