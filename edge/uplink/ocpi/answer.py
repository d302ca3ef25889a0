"""What a served OCPI module answers, before it becomes an envelope.

Handlers of our functional modules (Sender interfaces, Tokens and Commands
receivers) return an :class:`Answer`; :class:`~edge.uplink.ocpi.server.CpoServer`
wraps it in the OCPI envelope with the routing headers. A handler that meets bad
input raises :class:`Refused` with the answer that names what is wrong.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from pydantic import ValidationError
from starlette.requests import Request

from edge.uplink.ocpi.models import describe_validation_error
from edge.uplink.ocpi.models.common import JsonObject


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


async def json_object(request: Request, what: str) -> JsonObject:
    """The request body as a JSON object; Refused (2001) naming what is wrong."""
    raw = await request.body()
    if not raw:
        raise invalid(f"{what}: the request has no body")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid(f"{what}: the body is not JSON ({exc})", http_status=400) from exc
    if not isinstance(body, dict):
        raise invalid(f"{what}: the body must be a JSON object")
    return body
