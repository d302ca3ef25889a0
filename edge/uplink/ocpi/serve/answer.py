"""What a served OCPI module answers, before it becomes an envelope.

Handlers of our functional modules (Sender interfaces, Tokens and Commands
receivers) return an :class:`Answer`; :class:`~edge.uplink.ocpi.serve.routes.CpoServer`
wraps it in the OCPI envelope with the routing headers. A handler that meets bad
input raises :class:`Refused` with the answer that names what is wrong.

A request body is UTF-8 JSON (OCPI 2.2.1 *Transport and format*): bytes that are
not UTF-8, ``NaN``/``Infinity``, numbers beyond 64 bits or ±1e308, and nesting
deeper than :data:`MAX_DEPTH` are refused with OCPI 2001 naming the fault, never
an internal error (HTTP 400 if it is not JSON, else 200). The body's size is
bounded before it gets here (:class:`~edge.uplink.ocpi.serve.routes.CpoServer`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

from pydantic import ValidationError
from starlette.requests import Request

from edge.ocpi import describe_validation_error
from edge.ocpi.common import JsonObject

MAX_DEPTH = 32
"""Deepest nesting of arrays and objects a body may have (OCPI objects: ~6)."""
MAX_INT = 2**63 - 1
"""Largest integer a body may carry (what SQLite stores)."""
SHOWN = 40
"""Characters of a refused value echoed back in a message."""


@dataclass(frozen=True)
class Answer:
    """OCPI status, message, data (JSON-ready), HTTP status, extra headers."""

    status_code: int = 1000
    message: str | None = None
    data: object = None
    http_status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class Refused(Exception):
    """Raised inside a handler to answer with :attr:`answer`."""

    def __init__(self, answer: Answer) -> None:
        super().__init__(answer.message)
        self.answer = answer


def invalid(message: str, http_status: int = 200) -> Refused:
    """OCPI 2001 (invalid or missing parameters) with ``message``."""
    return Refused(Answer(2001, message, http_status=http_status))


def invalid_object(exc: ValidationError, root: str) -> Refused:
    """OCPI 2001 naming every bad field of a rejected object (``root.field: why``)."""
    detail = describe_validation_error(exc, root=root).replace("\n", "; ")
    return invalid(f"invalid {root}: {detail}")


def unknown_location(what: str, http_status: int = 404) -> Refused:
    """OCPI 2003 (unknown location) for ``what``.

    HTTP 404 where the URL names what does not exist (a GET); a command that
    names it reached an existing endpoint and gets HTTP 200.
    """
    return Refused(Answer(2003, f"unknown {what}", http_status=http_status))


def shown(value: object) -> str:
    """``value`` for an error message (a string quoted), cut to :data:`SHOWN`."""
    if isinstance(value, str):
        return repr(value if len(value) <= SHOWN else value[:SHOWN] + "…")
    text = repr(value)
    return text if len(text) <= SHOWN else text[:SHOWN] + "…"


class _NotJson(ValueError):
    """Not JSON at all (HTTP 400)."""


class _Unusable(ValueError):
    """Valid JSON that we do not take (HTTP 200, as the spec wants for JSON)."""


def _constant(name: str) -> object:
    raise _NotJson(f"{name} is not a JSON number")


def _int(text: str) -> int:
    value = int(text) if len(text) <= 20 else MAX_INT + 1  # no 4300-digit parse
    if abs(value) > MAX_INT:
        raise _Unusable(f"the number {shown(text)} is out of range (beyond 64 bits)")
    return value


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _Unusable(f"the number {shown(text)} is out of range")
    return value


def _depth(value: object) -> int:
    """How deeply arrays and objects nest in ``value`` (without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack and deepest <= MAX_DEPTH:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: list[object] = list(item.values())
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


def parse_json(raw: bytes, what: str) -> object:
    """``raw`` as JSON; Refused (2001) naming what is wrong.

    HTTP 400 for what is not JSON (bytes that are not UTF-8, a syntax error,
    ``NaN``); HTTP 200 for valid JSON we do not take (nesting, numbers out of
    range): OCPI 2.2.1 wants no HTTP error for valid JSON to an existing
    resource.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise invalid(
            f"{what}: the body is not UTF-8 (byte {exc.start})", http_status=400
        ) from exc
    try:
        body = json.loads(
            text, parse_constant=_constant, parse_int=_int, parse_float=_float
        )
    except _NotJson as exc:
        raise invalid(f"{what}: {exc}", http_status=400) from exc
    except _Unusable as exc:
        raise invalid(f"{what}: {exc}") from exc
    except RecursionError as exc:
        raise invalid(f"{what}: the body nests deeper than {MAX_DEPTH} levels") from exc
    except ValueError as exc:
        raise invalid(f"{what}: the body is not JSON ({exc})", http_status=400) from exc
    if _depth(body) > MAX_DEPTH:
        raise invalid(f"{what}: the body nests deeper than {MAX_DEPTH} levels")
    return body


async def json_object(request: Request, what: str) -> JsonObject:
    """The request body as a JSON object; Refused (2001) naming what is wrong."""
    raw = await request.body()
    if not raw:
        raise invalid(f"{what}: the request has no body")
    body = parse_json(raw, what)
    if not isinstance(body, dict):
        raise invalid(f"{what}: the body must be a JSON object")
    return body
