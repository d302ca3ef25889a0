"""The host side of the PN532 UART protocol as a pure state machine (sans IO).

The PN532 answers requests: the host wakes it (``55 55 00…``) and sends
SAMConfiguration, GetFirmwareVersion and RFConfiguration (a finite
MxRtyPassiveActivation, so that polls return), then polls with InListPassiveTarget.
Every command is acknowledged (ACK) and then answered. The machine takes bytes and
``now`` (site seconds) and returns bytes to send and frame events; the driver calls
:meth:`Pn532Host.on_deadline` when :attr:`Pn532Host.deadline` passes. A poll is sent
again at once after an empty answer, so a card is seen as soon as the PN532 sees it;
after a card, the next poll waits ``card_pause_s`` (the repeat rate of a held card).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from drivers.rfid.framing import FrameEvent, FrameRead, FrameRejected, RejectReason
from drivers.rfid.framing import pn532 as p

_NAMES = {
    p.CMD_SAM_CONFIGURATION: "SAMConfiguration",
    p.CMD_GET_FIRMWARE_VERSION: "GetFirmwareVersion",
    p.CMD_RF_CONFIGURATION: "RFConfiguration",
    p.CMD_IN_LIST_PASSIVE_TARGET: "InListPassiveTarget",
}


class Phase(StrEnum):
    """Where the host is in a request/response exchange."""

    IDLE = "idle"
    AWAIT_ACK = "await_ack"
    AWAIT_RESPONSE = "await_response"
    PAUSED = "paused"


@dataclass(slots=True)
class Pn532Step:
    """What to do after an input: bytes to write, then events to count and emit."""

    send: bytes = b""
    events: list[FrameEvent] = field(default_factory=list)


class Pn532Host:
    """PN532 host protocol: wake-up, configuration, then a poll loop."""

    def __init__(
        self,
        *,
        ack_timeout_s: float = 0.5,
        response_timeout_s: float = 1.0,
        card_pause_s: float = 0.1,
        passive_retries: int = 0x10,
        max_nacks: int = 2,
    ) -> None:
        if not 0 <= passive_retries <= 0xFE:
            raise ValueError(f"passive_retries must be 0..254, got {passive_retries}")
        self._ack_timeout_s = ack_timeout_s
        self._response_timeout_s = response_timeout_s
        self._card_pause_s = card_pause_s
        self._init = [
            (p.CMD_SAM_CONFIGURATION, b"\x01\x14\x01"),
            (p.CMD_GET_FIRMWARE_VERSION, b""),
            (p.CMD_RF_CONFIGURATION, bytes([0x05, 0xFF, 0x01, passive_retries])),
        ]
        self._max_nacks = max_nacks
        self._decoder = p.Pn532FrameDecoder()
        self.phase = Phase.IDLE
        self.deadline: float | None = None
        self.firmware: bytes | None = None  # IC, Ver, Rev, Support once known
        self._command = 0
        self._request = b""
        self._nacks = 0

    def start(self, now: float) -> bytes:
        """(Re)initialise: return the wake-up preamble and SAMConfiguration."""
        self._decoder = p.Pn532FrameDecoder()
        return p.WAKEUP + self._send(*self._init[0], now)

    def feed(self, data: bytes, now: float) -> Pn532Step:
        """Consume bytes from the PN532."""
        step = Pn532Step()
        for event in self._decoder.feed(data):
            if isinstance(event, FrameRejected):
                step.events.append(event)
                self._maybe_nack(event, step)
            elif event.kind is p.Pn532FrameKind.ACK:
                if self.phase is Phase.AWAIT_ACK:
                    self.phase = Phase.AWAIT_RESPONSE
                    self.deadline = now + self._response_timeout_s
            elif event.kind is p.Pn532FrameKind.NACK:
                if self.phase in (Phase.AWAIT_ACK, Phase.AWAIT_RESPONSE):
                    step.send += self._request
            elif event.kind is p.Pn532FrameKind.ERROR:
                message = f"PN532 error frame in reply to {self._name()}"
                step.events.append(
                    FrameRejected(RejectReason.DEVICE_ERROR, message, event.raw)
                )
                step.send += self.start(now)
            else:
                self._on_info(event, now, step)
        return step

    def on_deadline(self, now: float) -> Pn532Step:
        """Handle a passed deadline: poll again, or re-initialise after a timeout."""
        step = Pn532Step()
        if self.deadline is None or now < self.deadline:
            return step
        if self.phase is Phase.PAUSED:
            step.send = self._poll(now)
            return step
        waited = "an ACK" if self.phase is Phase.AWAIT_ACK else "a response"
        timeout = (
            self._ack_timeout_s
            if self.phase is Phase.AWAIT_ACK
            else self._response_timeout_s
        )
        message = f"no response: {waited} to {self._name()} within {timeout:g} s"
        step.events.append(FrameRejected(RejectReason.NO_RESPONSE, message, b""))
        step.send = self.start(now)
        return step

    def _name(self) -> str:
        return f"{_NAMES.get(self._command, 'command')} (0x{self._command:02X})"

    def _send(self, command: int, params: bytes, now: float) -> bytes:
        self._command = command
        self._request = p.build_command(command, params)
        self._nacks = 0
        self.phase = Phase.AWAIT_ACK
        self.deadline = now + self._ack_timeout_s
        return self._request

    def _poll(self, now: float) -> bytes:
        return self._send(p.CMD_IN_LIST_PASSIVE_TARGET, p.POLL_PARAMS, now)

    def _maybe_nack(self, event: FrameRejected, step: Pn532Step) -> None:
        """Ask the PN532 to resend a response that arrived corrupt."""
        if (
            self.phase is Phase.AWAIT_RESPONSE
            and event.reason is not RejectReason.GARBAGE
            and self._nacks < self._max_nacks
        ):
            self._nacks += 1
            step.send += p.NACK

    def _on_info(self, frame: p.Pn532Frame, now: float, step: Pn532Step) -> None:
        expected = self._command + 1
        awaiting = self.phase in (Phase.AWAIT_ACK, Phase.AWAIT_RESPONSE)
        if (
            not awaiting
            or frame.tfi != p.TFI_PN532
            or frame.data[:1] != bytes([expected])
        ):
            message = (
                f"unexpected frame: TFI 0x{frame.tfi:02X} code"
                f" {frame.data[:1].hex().upper() or '-'} while {self.phase}"
                f" for {self._name()}"
            )
            step.events.append(
                FrameRejected(RejectReason.UNEXPECTED_FRAME, message, frame.raw)
            )
            return
        if self._command != p.CMD_IN_LIST_PASSIVE_TARGET:
            if self._command == p.CMD_GET_FIRMWARE_VERSION:
                self.firmware = frame.data[1:]
            following = [c for c, _ in self._init].index(self._command) + 1
            if following < len(self._init):
                step.send += self._send(*self._init[following], now)
            else:
                step.send += self._poll(now)
            return
        try:
            uid = p.parse_target_uid(frame.data)
        except ValueError as exc:
            message = f"malformed response: {exc}"
            step.events.append(
                FrameRejected(RejectReason.MALFORMED_RESPONSE, message, frame.raw)
            )
            self._pause(now)
            return
        if uid is None:
            step.send += self._poll(now)
            return
        step.events.append(FrameRead(uid, frame.raw))
        self._pause(now)

    def _pause(self, now: float) -> None:
        self.phase = Phase.PAUSED
        self.deadline = now + self._card_pause_s
