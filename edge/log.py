"""Logging setup: quiet by default, structured enough to grep, ids redacted.

Redaction is applied where every record is made (a log record factory), not in
one handler: uvicorn installs handlers of its own, and a library may log a
request path with a card uid in it (httpx: ``HTTP Request: POST
.../tokens/0412AB00C3/authorize``). Each record's message, its arguments and
its traceback go through :func:`edge.model.redact.redact_text`; arguments keep
their shape when redacting them alone is enough (uvicorn's access formatter
reads them), else the record carries the redacted message alone.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable
from typing import Any

from edge.model.redact import redact_text

_made: Callable[..., logging.LogRecord] | None = None


def _redact_args(record: logging.LogRecord, wanted: str) -> bool:
    """Redact the record's string arguments in place if that yields ``wanted``."""
    args = record.args
    if not isinstance(args, tuple):
        return False
    fixed = tuple(redact_text(a) if isinstance(a, str) else a for a in args)
    msg = redact_text(str(record.msg))
    try:
        if msg % fixed != wanted:
            return False
    except (TypeError, ValueError):
        return False
    record.msg, record.args = msg, fixed
    return True


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """``record`` with card uids and credentials redacted (message, args, trace)."""
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format: logging reports it when emitted
        return record
    wanted = redact_text(message)
    if wanted != message and not _redact_args(record, wanted):
        record.msg, record.args = wanted, None
    if record.exc_info:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        record.exc_text = redact_text(text)
    elif record.exc_text:
        record.exc_text = redact_text(record.exc_text)
    if record.stack_info:
        record.stack_info = redact_text(record.stack_info)
    return record


def install_redaction() -> None:
    """Redact every log record made from now on, whichever logger or handler."""
    global _made
    if _made is not None:
        return
    made = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return redact_record(made(*args, **kwargs))

    _made = made
    logging.setLogRecordFactory(factory)


def setup_logging(verbosity: int = 0) -> None:
    """WARNING by default; -v for INFO, -vv for DEBUG (payloads)."""
    install_redaction()
    level = (
        logging.WARNING
        if verbosity <= 0
        else logging.INFO
        if verbosity == 1
        else logging.DEBUG
    )
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
