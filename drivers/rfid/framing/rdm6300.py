"""RDM6300 / RDM630 (125 kHz EM4100) frames: ``STX, 10 hex, 2 hex checksum, ETX``.

A frame is 14 bytes: ``0x02``, ten ASCII hex characters (5 data bytes: a version or
customer byte, then the 32-bit card id big-endian), two ASCII hex characters holding
the XOR of **all five** data bytes, and ``0x03``. Lower-case hex is accepted. The uid
reported is the ten hex characters upper-cased (version byte first).
"""

from __future__ import annotations

from drivers.rfid.framing import (
    FrameEvent,
    FrameRead,
    FrameRejected,
    GarbageCollector,
    RejectReason,
    describe_byte,
    first_non_hex,
)

STX = 0x02
ETX = 0x03
FRAME_LEN = 14
DATA_CHARS = 10


def rdm6300_checksum(data: bytes) -> int:
    """Return the XOR of all data bytes (the RDM6300 checksum)."""
    result = 0
    for value in data:
        result ^= value
    return result


def encode_rdm6300(uid10hex: str) -> bytes:
    """Build the 14-byte frame for a uid of 10 hex characters (version + 32-bit id).

    ``62E3086CED`` gives ``02 "62E3086CED" "08" 03`` (0x08 = XOR of the 5 bytes).
    """
    if len(uid10hex) != DATA_CHARS or first_non_hex(uid10hex.encode()) is not None:
        raise ValueError(f"RDM6300 uid must be 10 hex characters, got {uid10hex!r}")
    text = uid10hex.upper()
    checksum = rdm6300_checksum(bytes.fromhex(text))
    return bytes([STX]) + f"{text}{checksum:02X}".encode("ascii") + bytes([ETX])


class Rdm6300Decoder:
    """Incremental RDM6300 decoder; resynchronises on every STX."""

    def __init__(self) -> None:
        self._frame = bytearray()  # empty: hunting for STX
        self._garbage = GarbageCollector("STX 0x02")

    def feed(self, data: bytes) -> list[FrameEvent]:
        """Consume ``data``; return completed reads and rejections in order."""
        out: list[FrameEvent] = []
        for value in data:
            self._byte(value, out)
        return out

    def _byte(self, value: int, out: list[FrameEvent]) -> None:
        frame = self._frame
        if not frame:  # hunting for STX
            if value == STX:
                frame.append(value)
                found = self._garbage.flush()
            else:
                found = self._garbage.add(bytes([value]))
            if found is not None:
                out.append(found)
            return
        position = len(frame)
        frame.append(value)
        if position < FRAME_LEN - 1 and value in (STX, ETX):
            name = "STX" if value == STX else "ETX"
            if value == STX:
                frame.pop()  # this STX opens the next frame
            out.append(self._reject_short(f"{name} at position {position}"))
            self._restart(value)
        elif position == FRAME_LEN - 1 and value != ETX:
            out.append(
                FrameRejected(
                    RejectReason.MISSING_ETX,
                    f"missing ETX: byte at position {position} is"
                    f" {describe_byte(value)}, expected 0x03",
                    bytes(frame),
                )
            )
            self._restart(value)
        elif position == FRAME_LEN - 1:
            raw = bytes(frame)
            frame.clear()
            out.append(decode_rdm6300_frame(raw))

    def _restart(self, value: int) -> None:
        """After a cut-short frame: resync on an STX, else skip its tail quietly."""
        self._frame.clear()
        if value == STX:
            self._frame.append(STX)
        else:
            self._garbage.after_reject()

    def _reject_short(self, where: str) -> FrameRejected:
        raw = bytes(self._frame)
        return FrameRejected(
            RejectReason.BAD_LENGTH,
            f"bad length: frame cut short by {where}, expected {FRAME_LEN} bytes"
            " STX..ETX",
            raw,
        )


def decode_rdm6300_frame(raw: bytes) -> FrameEvent:
    """Check one complete ``STX … ETX`` frame of 14 bytes and return its event."""
    if len(raw) != FRAME_LEN or raw[0] != STX or raw[-1] != ETX:
        return FrameRejected(
            RejectReason.BAD_LENGTH,
            f"bad length: {len(raw)} bytes, expected {FRAME_LEN} bytes STX..ETX",
            raw,
        )
    payload = raw[1:-1]
    bad = first_non_hex(payload)
    if bad is not None:
        return FrameRejected(
            RejectReason.NON_HEX,
            f"non-hex character {describe_byte(payload[bad])} at position {bad + 1}",
            raw,
        )
    text = payload.decode("ascii").upper()
    data = bytes.fromhex(text[:DATA_CHARS])
    expected = rdm6300_checksum(data)
    got = int(text[DATA_CHARS:], 16)
    if expected != got:
        return FrameRejected(
            RejectReason.BAD_CHECKSUM,
            f"bad checksum: expected 0x{expected:02X} (XOR of the 5 data bytes),"
            f" got 0x{got:02X}",
            raw,
        )
    return FrameRead(text[:DATA_CHARS], raw)
