"""drivers/serial/port.py: configuration, errors, and the async fd stream."""

from __future__ import annotations

import asyncio
import os
import termios
from collections.abc import Iterator

import pytest

from drivers.errors import BusError
from drivers.serial.port import FdStream, SerialConfig, SerialPort, SerialPortError
from hal_sim.pty import open_pty_pair


def test_config_parse_and_str() -> None:
    config = SerialConfig.parse(19200, "8e1")
    assert (config.baud, config.bytesize, config.parity, config.stopbits) == (
        19200,
        8,
        "E",
        1,
    )
    assert str(SerialConfig.parse(115200, "8N2")) == "115200 8N2"


@pytest.mark.parametrize(
    ("baud", "framing", "message"),
    [
        (300, "8N1", "baud rate 300 not supported"),
        (230400, "8N1", "baud rate 230400 not supported"),
        (9600, "6N1", "byte size 6 not supported"),
        (9600, "8X1", "parity 'X' in '8X1' not supported"),
        (9600, "8N3", "stop bits 3 not supported"),
        (9600, "8-N-1", "is not like '8N1'"),
    ],
)
def test_config_errors_name_the_value(baud: int, framing: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SerialConfig.parse(baud, framing)


def test_open_missing_device_names_path_reason_and_hint() -> None:
    with pytest.raises(SerialPortError) as info:
        SerialPort.open("/dev/ttyUSB-missing", hint="check the rfid.port key")
    assert str(info.value) == (
        "cannot open /dev/ttyUSB-missing: [Errno 2] No such file or directory"
        " — check the rfid.port key"
    )
    assert isinstance(info.value, BusError)
    assert info.value.path == "/dev/ttyUSB-missing"
    assert info.value.reason == "[Errno 2] No such file or directory"


@pytest.mark.parametrize(
    ("baud", "framing", "speed", "cstopb"),
    [
        (1200, "8N1", termios.B1200, 0),
        (115200, "8N2", termios.B115200, termios.CSTOPB),
        (9600, "8N1", termios.B9600, 0),
    ],
)
async def test_open_configures_the_line(
    baud: int, framing: str, speed: int, cstopb: int
) -> None:
    with open_pty_pair() as pair:
        port = SerialPort.open(pair.slave_path, SerialConfig.parse(baud, framing))
        try:
            attrs = termios.tcgetattr(port.fileno())
            assert attrs[5] == speed  # ospeed
            assert attrs[2] & termios.CSTOPB == cstopb
            assert attrs[2] & termios.CSIZE == termios.CS8
            assert attrs[3] & (termios.ICANON | termios.ECHO) == 0
            assert attrs[6][termios.VMIN] == 1
        finally:
            port.close()
        port.close()  # idempotent


@pytest.mark.parametrize(
    ("framing", "expected"),
    [("8E1", (8, "E", 1)), ("7O2", (7, "O", 2)), ("8N1", (8, "N", 1))],
)
def test_parity_and_size_are_passed_to_pyserial(
    monkeypatch: pytest.MonkeyPatch, framing: str, expected: tuple[int, str, int]
) -> None:
    # A pty forces 8 bits without parity (Linux pty_set_termios), so the mapping
    # to pyserial is checked on the call itself.
    calls: list[dict[str, object]] = []

    class FakeSerial:
        def __init__(self, **kwargs: object) -> None:
            calls.append(kwargs)

        def fileno(self) -> int:
            return fds[0]

        def close(self) -> None:
            pass

    fds = os.pipe()
    monkeypatch.setattr("drivers.serial.port.serial.Serial", FakeSerial)
    try:
        port = SerialPort.open("/dev/ttyS9", SerialConfig.parse(4800, framing))
        port.close()
    finally:
        os.close(fds[0])
        os.close(fds[1])
    (kwargs,) = calls
    assert (kwargs["bytesize"], kwargs["parity"], kwargs["stopbits"]) == expected
    assert kwargs["baudrate"] == 4800
    assert kwargs["exclusive"] is True


def test_second_open_of_a_locked_port_fails_clearly() -> None:
    with open_pty_pair() as pair:
        port = SerialPort.open(pair.slave_path)
        try:
            with pytest.raises(SerialPortError, match=r"cannot open .*\[Errno 11\]"):
                SerialPort.open(pair.slave_path)
        finally:
            port.close()


@pytest.fixture
def pipe() -> Iterator[tuple[FdStream, int]]:
    r, w = os.pipe()
    stream = FdStream(r, "pipe", owns_fd=True)
    yield stream, w
    stream.close()
    os.close(w)


async def test_read_returns_as_soon_as_bytes_arrive(pipe: tuple[FdStream, int]) -> None:
    stream, w = pipe
    task = asyncio.create_task(stream.read())
    await asyncio.sleep(0)
    assert not task.done()
    os.write(w, b"\x02")
    assert await asyncio.wait_for(task, 1.0) == b"\x02"


async def test_cancelled_read_loses_no_bytes(pipe: tuple[FdStream, int]) -> None:
    stream, w = pipe
    task = asyncio.create_task(stream.read())
    await asyncio.sleep(0)
    os.write(w, b"abc")  # readiness reported, but the read is cancelled first
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await asyncio.wait_for(stream.read(), 1.0) == b"abc"


async def test_close_wakes_a_pending_read(pipe: tuple[FdStream, int]) -> None:
    stream, _ = pipe
    task = asyncio.create_task(stream.read())
    await asyncio.sleep(0)
    stream.close()
    with pytest.raises(SerialPortError, match="closed pipe: port closed while waiting"):
        await task
    with pytest.raises(SerialPortError, match="read from pipe: port is closed"):
        await stream.read()


async def test_eof_is_an_error(pipe: tuple[FdStream, int]) -> None:
    stream, w = pipe
    os.close(os.dup(w))
    os.write(w, b"x")
    assert await stream.read() == b"x"
    r2, w2 = os.pipe()
    os.close(w2)
    with pytest.raises(SerialPortError, match="lost eof: end of file"):
        await FdStream(r2, "eof", owns_fd=True).read()


async def test_concurrent_read_is_refused(pipe: tuple[FdStream, int]) -> None:
    stream, w = pipe
    first = asyncio.create_task(stream.read())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="concurrent read"):
        await stream.read()
    os.write(w, b"1")
    assert await first == b"1"


async def test_write_waits_for_a_full_buffer() -> None:
    r, w = os.pipe()
    reader = FdStream(r, "r", owns_fd=True)
    writer = FdStream(w, "w", owns_fd=True)
    payload = bytes(range(256)) * 1024  # 256 KiB: more than a pipe buffer
    received = bytearray()

    async def drain() -> None:
        while len(received) < len(payload):
            received.extend(await reader.read(65536))

    await asyncio.wait_for(asyncio.gather(writer.write(payload), drain()), 5.0)
    assert bytes(received) == payload
    writer.close()
    reader.close()
    with pytest.raises(SerialPortError, match="write to w: port is closed"):
        await writer.write(b"x")


async def test_write_error_names_the_port() -> None:
    r, w = os.pipe()
    os.close(r)
    stream = FdStream(w, "dead", owns_fd=True)
    with pytest.raises(SerialPortError, match=r"write error on dead: \[Errno 32\]"):
        await stream.write(b"x")
    stream.close()
