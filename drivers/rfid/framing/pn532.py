"""PN532 frames over UART (HSU), per NXP UM0701-02 §6.2: build and incremental parse.

Normal information frame: ``00 | 00 FF | LEN | LCS | TFI | PD0…PDn | DCS | 00`` with
``LEN + LCS ≡ 0`` and ``TFI + ΣPD + DCS ≡ 0 (mod 256)``. ACK is ``00 00 FF 00 FF 00``,
NACK ``00 00 FF FF 00 00``, the application error frame ``00 00 FF 01 FF 7F 81 00``.
Extended frames (``00 00 FF FF FF LENm LENl LCS …``) are parsed too. The decoder works
in both directions (host → PN532 with TFI ``D4``, PN532 → host with ``D5``), so the
simulator uses it as well; a frame is emitted when its postamble arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from drivers.rfid.framing import FrameRejected, GarbageCollector
from drivers.rfid.framing import RejectReason as R

TFI_HOST = 0xD4  # host → PN532
TFI_PN532 = 0xD5  # PN532 → host
TFI_ERROR = 0x7F

CMD_GET_FIRMWARE_VERSION = 0x02
CMD_SAM_CONFIGURATION = 0x14
CMD_RF_CONFIGURATION = 0x32
CMD_IN_LIST_PASSIVE_TARGET = 0x4A

START = b"\x00\xff"
ACK = b"\x00\x00\xff\x00\xff\x00"
NACK = b"\x00\x00\xff\xff\x00\x00"
ERROR_FRAME = b"\x00\x00\xff\x01\xff\x7f\x81\x00"
#: HSU wake-up: 0x55 0x55 then zeros; SAMConfiguration must follow at once.
WAKEUP = b"\x55\x55" + bytes(14)
MAX_EXTENDED = 300  # more than any UID read needs; longer LENs are noise


class Pn532FrameKind(StrEnum):
    """The four PN532 frame shapes."""

    ACK = "ack"
    NACK = "nack"
    INFO = "info"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Pn532Frame:
    """One parsed frame; for INFO, ``data`` is PD0…PDn (PD0 is the command code)."""

    kind: Pn532FrameKind
    raw: bytes
    tfi: int = 0
    data: bytes = b""


Pn532Event = Pn532Frame | FrameRejected


def build_frame(tfi: int, data: bytes) -> bytes:
    """Build a normal (or, above 254 bytes, extended) information frame."""
    body = bytes([tfi]) + data
    dcs = (0x100 - sum(body)) & 0xFF
    length = len(body)
    if length < 0xFF:
        head = bytes([length, (0x100 - length) & 0xFF])
    elif length <= 0xFFFF:
        hi, lo = divmod(length, 0x100)
        head = bytes([0xFF, 0xFF, hi, lo, (0x100 - hi - lo) & 0xFF])
    else:
        raise ValueError(f"PN532 frame body too long: {length} bytes")
    return b"\x00" + START + head + body + bytes([dcs, 0x00])


def build_command(command: int, params: bytes = b"") -> bytes:
    """Build a host → PN532 command frame (TFI ``D4``)."""
    return build_frame(TFI_HOST, bytes([command]) + params)


def build_response(command: int, data: bytes = b"") -> bytes:
    """Build the PN532 → host response to ``command`` (code ``command + 1``)."""
    return build_frame(TFI_PN532, bytes([command + 1]) + data)


def parse_frame(raw: bytes) -> Pn532Frame:
    """Parse exactly one complete frame; raise ``ValueError`` naming the fault."""
    events = Pn532FrameDecoder().feed(raw)
    if len(events) == 1 and isinstance(events[0], Pn532Frame):
        return events[0]
    faults = "; ".join(str(e) for e in events if isinstance(e, FrameRejected))
    raise ValueError(f"not one complete PN532 frame: {faults or 'incomplete'}")


class Pn532FrameDecoder:
    """Incremental PN532 frame decoder; resynchronises on the ``00 FF`` start code."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._garbage = GarbageCollector("start code 00 FF", ignore=b"\x00")

    def feed(self, data: bytes) -> list[Pn532Event]:
        """Consume ``data``; return complete frames and rejections in order."""
        self._buf += data
        out: list[Pn532Event] = []
        while self._step(out):
            pass
        return out

    def _skip(self, count: int, out: list[Pn532Event]) -> None:
        found = self._garbage.add(self._buf[:count])
        del self._buf[:count]
        if found is not None:
            out.append(found)

    def _reject(
        self, reason: R, message: str, size: int, out: list[Pn532Event], drop: int = 0
    ) -> bool:
        """Report ``size`` bytes as rejected; drop ``drop`` of them (default all)."""
        out.append(FrameRejected(reason, message, bytes(self._buf[:size])))
        del self._buf[: drop or size]
        self._garbage.after_reject()
        return True

    def _step(self, out: list[Pn532Event]) -> bool:
        """Parse at most one frame; return ``False`` when more input is needed."""
        buf = self._buf
        at = buf.find(START)
        if at < 0:
            self._skip(len(buf) - (1 if buf.endswith(b"\x00") else 0), out)
            return False
        self._skip(at, out)
        found = self._garbage.flush()
        if found is not None:
            out.append(found)
        if len(buf) < 5:
            return False
        length, lcs = buf[2], buf[3]
        if (length, lcs) in ((0x00, 0xFF), (0xFF, 0x00)):
            kind = Pn532FrameKind.ACK if length == 0 else Pn532FrameKind.NACK
            return self._finish(kind, 4, 0, out)
        if (length, lcs) == (0xFF, 0xFF):
            if len(buf) < 7:
                return False
            length = buf[4] << 8 | buf[5]
            if (buf[4] + buf[5] + buf[6]) & 0xFF:
                what = f"LENm 0x{buf[4]:02X} + LENl 0x{buf[5]:02X} + LCS 0x{buf[6]:02X}"
                return self._bad_lcs(what, 7, out)
            if not 0 < length <= MAX_EXTENDED:
                message = (
                    f"bad length: extended LEN {length}, allowed 1..{MAX_EXTENDED}"
                )
                return self._reject(R.BAD_LENGTH, message, 7, out, drop=2)
            return self._finish(Pn532FrameKind.INFO, 7, length, out)
        if (length + lcs) & 0xFF:
            return self._bad_lcs(f"LEN 0x{length:02X} + LCS 0x{lcs:02X}", 4, out)
        return self._finish(Pn532FrameKind.INFO, 4, length, out)

    def _bad_lcs(self, what: str, size: int, out: list[Pn532Event]) -> bool:
        # Drop only the start code, so that a real frame right behind it is found.
        message = f"bad length checksum: {what} is not 0 mod 256"
        return self._reject(R.BAD_LENGTH_CHECKSUM, message, size, out, drop=2)

    def _finish(
        self, kind: Pn532FrameKind, body_at: int, length: int, out: list[Pn532Event]
    ) -> bool:
        buf = self._buf
        dcs_at = body_at + length
        size = dcs_at + (2 if length else 1)  # DCS (information frames) + postamble
        if len(buf) < size:
            return False
        body = bytes(buf[body_at:dcs_at])
        if length and (sum(body) + buf[dcs_at]) & 0xFF:
            expected = (0x100 - sum(body)) & 0xFF
            message = (
                f"bad checksum: DCS expected 0x{expected:02X}, got 0x{buf[dcs_at]:02X}"
            )
            return self._reject(R.BAD_CHECKSUM, message, size, out, drop=size - 1)
        if buf[size - 1] != 0x00:
            message = (
                f"missing postamble: frame ends in 0x{buf[size - 1]:02X}, expected 0x00"
            )
            return self._reject(R.MISSING_POSTAMBLE, message, size, out, drop=size - 1)
        raw = bytes(buf[:size])
        del buf[:size]
        if not length:
            out.append(Pn532Frame(kind, raw))
        elif body[0] == TFI_ERROR and length == 1:
            out.append(Pn532Frame(Pn532FrameKind.ERROR, raw, TFI_ERROR))
        else:
            out.append(Pn532Frame(kind, raw, body[0], body[1:]))
        return True


# -- InListPassiveTarget (0x4A), 106 kbps type A ----------------------------------

#: InListPassiveTarget parameters: MaxTg 1, BrTy 0x00 (106 kbps ISO 14443 type A).
POLL_PARAMS = b"\x01\x00"
_UID_SIZES = {4: 0x00, 7: 0x40, 10: 0x80}  # ATQA bits 7..6: single/double/triple


def build_target_response(uid: str | None) -> bytes:
    """Build the InListPassiveTarget response: one type A target ``uid``, or none.

    SENS_RES and SEL_RES are typical values (MIFARE Classic for 4-byte uids).
    """
    if uid is None:
        return build_response(CMD_IN_LIST_PASSIVE_TARGET, b"\x00")
    nfcid = bytes.fromhex(uid)
    if len(nfcid) not in _UID_SIZES:
        raise ValueError(f"ISO 14443 A uid must be 4, 7 or 10 bytes, got {uid!r}")
    sens_res = bytes([0x00, 0x04 | _UID_SIZES[len(nfcid)]])
    sel_res = 0x08 if len(nfcid) == 4 else 0x00
    target = b"\x01" + sens_res + bytes([sel_res, len(nfcid)]) + nfcid
    return build_response(CMD_IN_LIST_PASSIVE_TARGET, b"\x01" + target)


def parse_target_uid(data: bytes) -> str | None:
    """Return the uid of the first target in an InListPassiveTarget response.

    ``data`` is PD0…PDn of the response (PD0 = ``0x4B``). Returns ``None`` when no
    target was found; raises ``ValueError`` naming the fault when malformed.
    """
    if len(data) < 2 or data[0] != CMD_IN_LIST_PASSIVE_TARGET + 1:
        raise ValueError(f"not an InListPassiveTarget response: {data.hex(' ')}")
    if data[1] == 0:
        return None
    if len(data) < 7:
        raise ValueError(f"target data too short: {len(data) - 2} bytes, need 5+")
    size = data[6]
    nfcid = data[7 : 7 + size]
    if size not in _UID_SIZES or len(nfcid) != size:
        raise ValueError(
            f"bad NFCIDLength {size} with {len(nfcid)} uid bytes (expected 4, 7 or 10)"
        )
    return nfcid.hex().upper()
