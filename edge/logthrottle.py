"""Log a recurring message at most once per interval, with a count of the rest.

A flood (a client that keeps sending junk, accept() failing for want of file
descriptors) must not fill the SD card: the first occurrence of a kind of message
is logged at once; later ones within ``interval_s`` (wall seconds) are counted,
and the count is logged once when the interval ends ("… 418 more like this in the
last 60 s"). So each kind writes at most one line per interval.

:class:`Throttle` is for our own messages (a key names the kind);
:class:`ThrottleFilter` is a :class:`logging.Filter` for a third-party logger,
keyed by the message template (``record.msg``). Summaries are written from a
timer on the running event loop; without a running loop they wait for the next
occurrence of their kind.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from edge.model.clock import SystemClock

MAX_KINDS = 256
"""Kinds remembered at once; the oldest is forgotten beyond that."""
_SUMMARY = "throttle_summary"


@dataclass
class _Window:
    start: float
    suppressed: int = 0
    timer: asyncio.TimerHandle | None = None


class _Gate:
    """Which occurrences of each kind pass, and the summaries of the others."""

    def __init__(
        self,
        interval_s: float,
        summarize: Callable[[Hashable, int, float], None],
        now: Callable[[], float],
    ) -> None:
        self.interval_s = interval_s
        self.summarize = summarize
        self.now = now
        self.windows: dict[Hashable, _Window] = {}

    def admit(self, key: Hashable) -> bool:
        """Whether this occurrence is logged (else it is counted)."""
        t = self.now()
        w = self.windows.get(key)
        if w is not None and t - w.start < self.interval_s:
            w.suppressed += 1
            if w.timer is None:
                w.timer = _call_later(w.start + self.interval_s - t, self.flush, key)
            return False
        if w is not None and w.suppressed:
            self._summary(key, w, t)
        if w is not None and w.timer is not None:
            w.timer.cancel()
        self.windows.pop(key, None)
        self.windows[key] = _Window(t)
        while len(self.windows) > MAX_KINDS:
            old = self.windows.pop(next(iter(self.windows)))
            if old.timer is not None:
                old.timer.cancel()
        return True

    def flush(self, key: Hashable) -> None:
        """Log the count of ``key`` now; it opens a new interval."""
        w = self.windows.get(key)
        if w is None:
            return
        w.timer = None
        if w.suppressed:
            t = self.now()
            self._summary(key, w, t)
            self.windows[key] = _Window(t)

    def flush_all(self) -> None:
        """Log every pending count (at shutdown)."""
        for key in list(self.windows):
            w = self.windows[key]
            if w.timer is not None:
                w.timer.cancel()
            self.flush(key)

    def reset(self) -> None:
        """Log every pending count and forget every kind (a server stops)."""
        self.flush_all()
        self.windows.clear()

    def _summary(self, key: Hashable, w: _Window, t: float) -> None:
        n, w.suppressed = w.suppressed, 0
        self.summarize(key, n, t - w.start)


def _call_later(
    delay: float, callback: Callable[[Hashable], None], key: Hashable
) -> asyncio.TimerHandle | None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None
    return loop.call_later(max(delay, 0.0), callback, key)


class Throttle:
    """Our own recurring messages, at most one line per kind and interval."""

    def __init__(
        self,
        logger: logging.Logger,
        interval_s: float = 60.0,
        now: Callable[[], float] | None = None,
    ) -> None:
        self.logger = logger
        self._texts: dict[Hashable, tuple[int, str]] = {}
        self.gate = _Gate(interval_s, self._summarize, now or SystemClock().monotonic)

    def log(
        self,
        level: int,
        key: Hashable,
        msg: str,
        *args: object,
        exc_info: BaseException | None = None,
    ) -> bool:
        """Log ``msg % args`` unless ``key`` was logged within the interval."""
        if not self.gate.admit(key):
            return False
        self._texts[key] = (level, msg % args if args else msg)
        if len(self._texts) > MAX_KINDS:
            self._texts.pop(next(iter(self._texts)))
        self.logger.log(level, msg, *args, exc_info=exc_info, stacklevel=2)
        return True

    def _summarize(self, key: Hashable, n: int, seconds: float) -> None:
        level, text = self._texts.get(key, (logging.WARNING, str(key)))
        self.logger.log(
            level, "%s: %d more like this in the last %.0f s", text, n, seconds
        )


class ThrottleFilter(logging.Filter):
    """A filter for a third-party logger: each message template once per interval.

    Add it to the logger (not a handler) that floods, e.g. ``uvicorn.error``.
    """

    def __init__(
        self, interval_s: float = 60.0, now: Callable[[], float] | None = None
    ) -> None:
        super().__init__()
        self._last: dict[Hashable, logging.LogRecord] = {}
        self.gate = _Gate(interval_s, self._summarize, now or SystemClock().monotonic)

    def filter(self, record: logging.LogRecord) -> bool:
        """Pass the first of each kind per interval and our own summaries."""
        if getattr(record, _SUMMARY, False):
            return True
        key = (record.name, record.levelno, str(record.msg))
        if not self.gate.admit(key):
            return False
        self._last[key] = record
        if len(self._last) > MAX_KINDS:
            self._last.pop(next(iter(self._last)))
        return True

    def _summarize(self, key: Hashable, n: int, seconds: float) -> None:
        last = self._last.get(key)
        if last is None:
            return
        logging.getLogger(last.name).log(
            last.levelno,
            "%s: %d more like this in the last %.0f s",
            last.getMessage(),
            n,
            seconds,
            extra={_SUMMARY: True},
        )


ACCEPT_FAILED = "socket.accept() out of system resource"
"""What asyncio reports when accept() fails with EMFILE, ENFILE, ENOBUFS, ENOMEM."""


def loop_errors(quiet: Throttle, context: dict[str, Any]) -> None:
    """An event loop's error through ``quiet``: each kind once per interval.

    accept() out of descriptors is one line without a traceback (asyncio retries
    every second, up to a backlog's worth of failures each time); any other
    kind keeps its traceback.
    """
    message = str(context.get("message") or "event loop error")
    exc = context.get("exception")
    if message == ACCEPT_FAILED:
        sock = context.get("socket")
        where = sock.getsockname() if sock is not None else "?"
        quiet.log(
            logging.ERROR,
            ("accept", getattr(exc, "errno", None)),
            "cannot accept connections on %s: %s; the open-files limit (ulimit -n) "
            "or memory is exhausted, new clients wait in the backlog",
            where,
            exc,
        )
        return
    quiet.log(
        logging.ERROR,
        ("loop", message),
        "%s",
        message,
        exc_info=exc if isinstance(exc, BaseException) else None,
    )


def quiet_loop_errors(
    loop: asyncio.AbstractEventLoop, quiet: Throttle
) -> Callable[[], None]:
    """Route ``loop``'s errors through :func:`loop_errors`; returns the undo."""
    previous = loop.get_exception_handler()

    def handler(_: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        loop_errors(quiet, context)

    loop.set_exception_handler(handler)

    def restore() -> None:
        if loop.get_exception_handler() is handler:
            loop.set_exception_handler(previous)

    return restore
