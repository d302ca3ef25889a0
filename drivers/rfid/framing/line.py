"""Line readers (USB CDC-ACM / FTDI): one uid per line, ASCII hex, CR and/or LF.

Accepted lines: optional STX (``0x02``) and ETX (``0x03``) around the id, hex digits in
either case, and ``:``, ``-`` or space between bytes. The uid must be a whole number of
bytes (an even count of hex digits). Blank lines (the LF of a CRLF) are ignored. The
uid is emitted when the terminator arrives, so CRLF readers deliver on the CR.
Readers configured for decimal output pass through as digit strings only if the
count of digits is even; configure such readers for hex.
"""

from __future__ import annotations

from drivers.rfid.framing import (
    HEX_DIGITS,
    FrameEvent,
    FrameRead,
    FrameRejected,
    RejectReason,
    describe_byte,
)

TERMINATORS = frozenset(b"\r\n")
SEPARATORS = frozenset(b":- ")
STX = 0x02
ETX = 0x03
DEFAULT_MAX_LINE = 64


def encode_line(uid: str, terminator: bytes = b"\r\n") -> bytes:
    """Return ``uid`` as one ASCII line ending in ``terminator`` (CRLF by default)."""
    if not uid or any(ch in "\r\n" for ch in uid) or not uid.isascii():
        raise ValueError(f"a line uid must be non-empty ASCII without CR/LF: {uid!r}")
    if terminator not in (b"\r\n", b"\r", b"\n"):
        raise ValueError(f"terminator must be CRLF, CR or LF, got {terminator!r}")
    return uid.encode("ascii") + terminator


def decode_line(raw: bytes) -> FrameEvent | None:
    """Check one line (without terminator); ``None`` for a blank line."""
    start, end = 0, len(raw)
    if end and raw[0] == STX:
        start = 1
    if end > start and raw[end - 1] == ETX:
        end -= 1
    digits = bytearray()
    for pos in range(start, end):
        value = raw[pos]
        if value in HEX_DIGITS:
            digits.append(value)
        elif value not in SEPARATORS:
            return FrameRejected(
                RejectReason.NON_HEX,
                f"non-hex character {describe_byte(value)} at position {pos}",
                raw,
            )
    if not digits:
        if end > start:  # separators only
            return FrameRejected(
                RejectReason.BAD_LENGTH, "bad length: no hex digits in line", raw
            )
        return None
    if len(digits) % 2:
        return FrameRejected(
            RejectReason.BAD_LENGTH,
            f"bad length: {len(digits)} hex digits, expected an even count"
            " (whole bytes)",
            raw,
        )
    return FrameRead(digits.decode("ascii").upper(), raw)


class LineDecoder:
    """Incremental line decoder with a bound on line length."""

    def __init__(self, max_line: int = DEFAULT_MAX_LINE) -> None:
        if max_line < 1:
            raise ValueError(f"max_line must be positive, got {max_line}")
        self._max_line = max_line
        self._line = bytearray()
        self._discarding = False

    def feed(self, data: bytes) -> list[FrameEvent]:
        """Consume ``data``; return completed reads and rejections in order."""
        out: list[FrameEvent] = []
        for value in data:
            if value in TERMINATORS:
                if self._discarding:
                    self._discarding = False
                else:
                    event = decode_line(bytes(self._line))
                    if event is not None:
                        out.append(event)
                self._line.clear()
            elif not self._discarding:
                self._line.append(value)
                if len(self._line) > self._max_line:
                    out.append(
                        FrameRejected(
                            RejectReason.OVERLONG_LINE,
                            f"overlong line: more than {self._max_line} bytes"
                            " without CR/LF",
                            bytes(self._line),
                        )
                    )
                    self._line.clear()
                    self._discarding = True
        return out
