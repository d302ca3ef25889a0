"""Every error the web server answers is one JSON shape: :class:`ApiError`.

``{"status": 422, "error": "invalid", "message": "query limit: ...", "field":
"query.limit"}``: ``field`` names what was wrong where (``path.uid``,
``query.from``, ``body.current_limit_a``, ``header.Authorization``) when one
thing was. Validation errors, unknown paths and methods, and the refusals the
bounded server makes itself (400, 503) all come out in this shape. This module
is the one place that sees starlette's own HTTP exception (FastAPI raises it for
404 and 405); a 405's ``Allow`` names every method the OpenAPI document gives
the path, not only those of the first route that has it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException

_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    500: "internal",
    503: "unavailable",
}


class ApiError(BaseModel):
    """What went wrong, for a person and for a program."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    status: int
    """The HTTP status, repeated."""
    error: str
    """A stable code: unauthorized, not_found, invalid, ..."""
    message: str
    """What went wrong and what to do, in words."""
    field: str | None = None
    """Where: ``query.limit``, ``path.uid``, ``body.current_limit_a``, ..."""


class ApiProblem(Exception):
    """Raise in a route to answer an :class:`ApiError`."""

    def __init__(
        self,
        status: int,
        message: str,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.headers = dict(headers or {})


def error_body(
    status: int, message: str, field: str | None = None
) -> dict[str, object]:
    """The JSON object of an :class:`ApiError`."""
    code = _CODES.get(status, "error")
    return ApiError(
        status=status, error=code, message=message, field=field
    ).model_dump()


def error_bytes(status: int, message: str) -> bytes:
    """An :class:`ApiError` as bytes (the bounded server's own refusals)."""
    return json.dumps(error_body(status, message)).encode()


def answer(
    status: int,
    message: str,
    field: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """An :class:`ApiError` response."""
    return JSONResponse(error_body(status, message, field), status, dict(headers or {}))


def _where(loc: Sequence[object]) -> str:
    return ".".join(str(part) for part in loc)


def _validation(_request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):
        raise exc
    errors = list(exc.errors())
    if not errors:
        return answer(422, "the request is not valid")
    first = errors[0]
    field = _where(first.get("loc", ()))
    message = f"{field}: {first.get('msg', 'not valid')}"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more)"
    return answer(422, message, field or None)


_PARAM = re.compile(r"\{[^/}]+\}")


def _allowed(request: Request) -> str | None:
    """Every method the OpenAPI document gives this path (None: not in it).

    Starlette names only the methods of the first route with the path, and a
    path may have several (``GET`` and ``POST /api/v1/tokens``).
    """
    paths = request.app.openapi().get("paths", {})
    for template, operations in paths.items():
        regex = "[^/]+".join(re.escape(part) for part in _PARAM.split(template))
        if re.fullmatch(regex, request.url.path):
            return ", ".join(sorted(method.upper() for method in operations))
    return None


def _http(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, HTTPException):
        raise exc
    headers = dict(exc.headers or {})
    allowed = _allowed(request) if exc.status_code == 405 else None
    if allowed is not None:
        headers["Allow"] = allowed
    message = {404: "no such path", 405: "method not allowed here"}.get(
        exc.status_code, str(exc.detail)
    )
    field = "body" if "body" in message else None  # FastAPI's "error parsing the body"
    return answer(exc.status_code, message, field, headers)


def _problem(_request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, ApiProblem):
        raise exc
    return answer(exc.status, exc.message, exc.field, exc.headers)


def install(app: FastAPI) -> None:
    """Answer validation errors, HTTP errors and :class:`ApiProblem` as ApiError."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(ApiProblem, _problem)
