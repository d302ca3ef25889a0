"""Pure, incremental framing for serial RFID readers: no IO, no clock.

Every decoder has ``feed(data: bytes) -> list[FrameEvent]``. An event is either a
:class:`FrameRead` (a valid frame carrying a normalised uid: upper-case hex, byte 0
first, no separators) or a :class:`FrameRejected` (a typed reason, a message naming
what was wrong and where, and the raw bytes). Decoders never raise on input bytes and
resynchronise after garbage, so a noisy line cannot stall or crash a reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class RejectReason(StrEnum):
    """Why a frame (or a run of bytes) was dropped; used as a counter key."""

    GARBAGE = "garbage"
    BAD_CHECKSUM = "bad_checksum"
    BAD_LENGTH = "bad_length"
    NON_HEX = "non_hex"
    MISSING_ETX = "missing_etx"
    OVERLONG_LINE = "overlong_line"
    BAD_LENGTH_CHECKSUM = "bad_length_checksum"
    MISSING_POSTAMBLE = "missing_postamble"
    UNEXPECTED_FRAME = "unexpected_frame"
    DEVICE_ERROR = "device_error"
    MALFORMED_RESPONSE = "malformed_response"
    NO_RESPONSE = "no_response"


@dataclass(frozen=True, slots=True)
class FrameRead:
    """A valid frame carrying a card uid (canonical upper-case hex)."""

    uid: str
    raw: bytes


@dataclass(frozen=True, slots=True)
class FrameRejected:
    """A dropped frame: the reason, a message naming what and where, the raw bytes."""

    reason: RejectReason
    message: str
    raw: bytes

    def __str__(self) -> str:
        """Return the human-readable message."""
        return self.message


FrameEvent = FrameRead | FrameRejected


class FrameDecoder(Protocol):
    """An incremental decoder of one reader's byte stream."""

    def feed(self, data: bytes) -> list[FrameEvent]:
        """Consume ``data`` and return the events completed by it, in order."""
        ...


#: Upper bound on a run of skipped bytes before it is reported as garbage.
MAX_GARBAGE = 64

HEX_DIGITS = frozenset(b"0123456789ABCDEFabcdef")


def describe_byte(value: int) -> str:
    """Show one byte as ``'G' (0x47)`` when printable, else ``0x07``."""
    if 0x20 <= value < 0x7F:
        return f"{chr(value)!r} (0x{value:02X})"
    return f"0x{value:02X}"


def first_non_hex(data: bytes) -> int | None:
    """Return the index of the first byte of ``data`` that is not a hex digit."""
    for index, value in enumerate(data):
        if value not in HEX_DIGITS:
            return index
    return None


class GarbageCollector:
    """Accumulates skipped bytes and reports each run as one garbage rejection.

    Runs made only of bytes listed in ``ignore`` (e.g. PN532 preamble zeros) are
    dropped silently, and so is the tail of a frame already rejected (see
    :meth:`after_reject`), so that one corrupt frame is counted once.
    """

    def __init__(self, what: str, ignore: bytes = b"") -> None:
        self._what = what
        self._ignore = frozenset(ignore)
        self._buf = bytearray()
        self._quiet = False

    def after_reject(self) -> None:
        """Drop skipped bytes silently until the next frame start (:meth:`flush`)."""
        self._quiet = True

    def add(self, data: bytes | bytearray) -> FrameRejected | None:
        """Add skipped bytes; report the run once it reaches :data:`MAX_GARBAGE`."""
        if self._quiet:
            return None
        self._buf += data
        return self.flush() if len(self._buf) >= MAX_GARBAGE else None

    def flush(self) -> FrameRejected | None:
        """Report and forget the pending run, unless it is empty or ignorable."""
        raw = bytes(self._buf)
        self._buf.clear()
        self._quiet = False
        if not any(value not in self._ignore for value in raw):
            return None
        return FrameRejected(
            RejectReason.GARBAGE,
            f"garbage: {len(raw)} byte(s) outside any frame (no {self._what})",
            raw,
        )
