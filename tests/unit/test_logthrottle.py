"""A flood of one kind of message writes one line per interval, with a count."""

from __future__ import annotations

import asyncio
import logging

import pytest

from edge.logthrottle import (
    ACCEPT_FAILED,
    Throttle,
    ThrottleFilter,
    loop_errors,
    quiet_loop_errors,
)


class Now:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def lines(caplog: pytest.LogCaptureFixture, name: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == name]


def test_one_line_per_interval_then_the_count(caplog) -> None:
    caplog.set_level(logging.INFO)
    now = Now()
    quiet = Throttle(logging.getLogger("t.flood"), 60.0, now)
    assert quiet.log(logging.WARNING, "k", "refused %s", "a")
    for _ in range(500):
        now.t += 0.01
        assert not quiet.log(logging.WARNING, "k", "refused %s", "b")
    assert quiet.log(logging.WARNING, "other", "other kind")  # its own interval
    assert lines(caplog, "t.flood") == ["refused a", "other kind"]
    now.t = 161.0
    assert quiet.log(logging.WARNING, "k", "refused %s", "c")
    assert lines(caplog, "t.flood")[2:] == [
        "refused a: 500 more like this in the last 61 s",
        "refused c",
    ]


async def test_the_count_comes_when_the_interval_ends(caplog) -> None:
    caplog.set_level(logging.INFO)
    loop = asyncio.get_running_loop()
    quiet = Throttle(logging.getLogger("t.timer"), 0.05, loop.time)
    ended = asyncio.Event()
    quiet.log(logging.ERROR, "k", "accept failed")
    quiet.log(logging.ERROR, "k", "accept failed")
    quiet.log(logging.ERROR, "k", "accept failed")
    loop.call_later(0.2, ended.set)  # after the interval; the flood has stopped
    await ended.wait()
    [first, summary] = lines(caplog, "t.timer")
    assert first == "accept failed"
    assert summary.startswith("accept failed: 2 more like this in the last")
    quiet.gate.flush_all()  # nothing left to say
    assert len(lines(caplog, "t.timer")) == 2


def test_filter_on_a_third_party_logger(caplog) -> None:
    caplog.set_level(logging.INFO)
    now = Now()
    noisy = logging.getLogger("t.thirdparty")
    gate = ThrottleFilter(10.0, now)
    noisy.addFilter(gate)
    try:
        for i in range(50):
            noisy.warning("Invalid HTTP request received.")
            noisy.warning("Exceeded concurrency limit %d.", i)
        assert lines(caplog, "t.thirdparty") == [
            "Invalid HTTP request received.",
            "Exceeded concurrency limit 0.",
        ]
        gate.gate.flush_all()  # at shutdown: the counts are written
        assert lines(caplog, "t.thirdparty")[2:] == [
            "Invalid HTTP request received.: 49 more like this in the last 0 s",
            "Exceeded concurrency limit 0.: 49 more like this in the last 0 s",
        ]
    finally:
        noisy.removeFilter(gate)


def test_kinds_are_bounded() -> None:
    now = Now()
    quiet = Throttle(logging.getLogger("t.many"), 60.0, now)
    for i in range(1000):
        quiet.log(logging.DEBUG, ("k", i), "kind %d", i)
    assert len(quiet.gate.windows) <= 256


def test_loop_errors_keep_a_traceback_once_per_kind(caplog) -> None:
    caplog.set_level(logging.INFO)
    now = Now()
    quiet = Throttle(logging.getLogger("t.loop"), 60.0, now)
    try:
        raise ValueError("boom")
    except ValueError as exc:
        boom = exc
    for _ in range(5):
        loop_errors(quiet, {"message": "Fatal error on transport", "exception": boom})
        loop_errors(quiet, {"message": ACCEPT_FAILED, "exception": OSError(24, "x")})
    records = [r for r in caplog.records if r.name == "t.loop"]
    assert [r.getMessage()[:24] for r in records] == [
        "Fatal error on transport",
        "cannot accept connection",
    ]
    assert records[0].exc_info is not None  # an unknown kind keeps its traceback
    assert records[1].exc_info is None  # EMFILE says what to do instead


async def test_the_loop_handler_is_installed_and_undone() -> None:
    loop = asyncio.get_running_loop()
    before = loop.get_exception_handler()
    undo = quiet_loop_errors(loop, Throttle(logging.getLogger("t.undo")))
    assert loop.get_exception_handler() is not before
    undo()
    assert loop.get_exception_handler() is before
