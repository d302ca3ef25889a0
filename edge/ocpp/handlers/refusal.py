"""A request that passes its schema but breaks the standard's text."""

from __future__ import annotations

from edge.ocpp import frames


class PayloadRefused(Exception):
    """Raised by a handler: answer the CALL with this violation's CALLERROR."""

    def __init__(self, violation: frames.Violation) -> None:
        super().__init__(violation.reason)
        self.violation = violation

    @classmethod
    def property(cls, reason: str) -> PayloadRefused:
        """A field holds a value the standard does not allow."""
        return cls(
            frames.Violation(frames.ErrorCode.PROPERTY_CONSTRAINT_VIOLATION, reason)
        )
