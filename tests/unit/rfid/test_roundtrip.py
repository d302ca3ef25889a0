"""Hypothesis: encode → decode round trips under any chunking; fuzzing never raises."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from drivers.rfid.framing import FrameRead, FrameRejected
from drivers.rfid.framing import pn532 as p
from drivers.rfid.framing.line import LineDecoder, encode_line
from drivers.rfid.framing.rdm6300 import Rdm6300Decoder, encode_rdm6300
from drivers.rfid.pn532_host import Pn532Host

uid5 = st.binary(min_size=5, max_size=5).map(lambda b: b.hex().upper())
uid_a = st.sampled_from([4, 7, 10]).flatmap(
    lambda n: st.binary(min_size=n, max_size=n).map(lambda b: b.hex().upper())
)


def chunked(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts} | {0, len(data)})
    return [data[a:b] for a, b in itertools.pairwise(points)]


@given(st.lists(uid5, min_size=1, max_size=5), st.lists(st.integers(0, 10_000)))
def test_rdm6300_round_trip(uids: list[str], cuts: list[int]) -> None:
    stream = b"".join(encode_rdm6300(u) for u in uids)
    decoder = Rdm6300Decoder()
    events = [e for chunk in chunked(stream, cuts) for e in decoder.feed(chunk)]
    assert [e.uid for e in events if isinstance(e, FrameRead)] == uids
    assert len(events) == len(uids)


@given(
    st.lists(uid_a, min_size=1, max_size=5),
    st.sampled_from([b"\r\n", b"\r", b"\n"]),
    st.lists(st.integers(0, 10_000)),
)
def test_line_round_trip(uids: list[str], end: bytes, cuts: list[int]) -> None:
    stream = b"".join(encode_line(u.lower(), end) for u in uids)
    decoder = LineDecoder()
    events = [e for chunk in chunked(stream, cuts) for e in decoder.feed(chunk)]
    assert events == [FrameRead(u, u.lower().encode()) for u in uids]


@given(st.lists(uid_a, min_size=1, max_size=4), st.lists(st.integers(0, 10_000)))
def test_pn532_target_round_trip(uids: list[str], cuts: list[int]) -> None:
    stream = b"".join(p.ACK + p.build_target_response(u) for u in uids)
    decoder = p.Pn532FrameDecoder()
    frames = [e for chunk in chunked(stream, cuts) for e in decoder.feed(chunk)]
    infos = [f for f in frames if isinstance(f, p.Pn532Frame) and f.data]
    assert [p.parse_target_uid(f.data) for f in infos] == uids
    assert len(frames) == 2 * len(uids)


@given(st.integers(0, 255), st.binary(max_size=300))
def test_pn532_any_frame_round_trip(tfi: int, data: bytes) -> None:
    frame = p.parse_frame(p.build_frame(tfi, data))
    if tfi == p.TFI_ERROR and not data:
        assert frame.kind is p.Pn532FrameKind.ERROR
    else:
        assert (frame.tfi, frame.data) == (tfi, data)


@given(st.binary(max_size=400), uid5)
def test_rdm6300_noise_never_raises_and_resyncs(noise: bytes, uid: str) -> None:
    decoder = Rdm6300Decoder()
    events = decoder.feed(noise)
    assert all(isinstance(e, FrameRead | FrameRejected) for e in events)
    # after any noise, at most one more frame is lost before a clean read
    frame = encode_rdm6300(uid)
    tail = decoder.feed(frame + frame)
    assert FrameRead(uid, frame) in tail


@given(st.binary(max_size=400), uid_a)
def test_line_noise_never_raises_and_resyncs(noise: bytes, uid: str) -> None:
    decoder = LineDecoder()
    decoder.feed(noise)
    assert decoder.feed(b"\n" + encode_line(uid))[-1] == FrameRead(uid, uid.encode())


@given(st.binary(max_size=400), uid_a)
def test_pn532_noise_never_raises_and_resyncs(noise: bytes, uid: str) -> None:
    decoder = p.Pn532FrameDecoder()
    decoder.feed(noise)
    # a partial frame in the noise may swallow up to MAX_EXTENDED bytes once
    frame = p.build_target_response(uid)
    tail = decoder.feed(frame * 30)
    assert any(isinstance(e, p.Pn532Frame) and e.raw == frame[1:] for e in tail)


@given(st.lists(st.binary(max_size=64), max_size=20))
def test_pn532_host_never_raises_on_noise(chunks: list[bytes]) -> None:
    host = Pn532Host()
    host.start(0.0)
    for i, chunk in enumerate(chunks):
        host.feed(chunk, i * 0.1)
        host.on_deadline(i * 0.1)
    assert host.deadline is not None  # always waiting for something
