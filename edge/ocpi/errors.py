"""Readable validation messages: which field, and why."""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_QUOTED = re.compile(r"'([^']*)'")
_SHOWN_INPUT_MAX = 60


def _root_name(title: str) -> str:
    base = title.split("[", 1)[0]
    return _CAMEL_BOUNDARY.sub("_", base).lower()


def error_path(loc: tuple[int | str, ...], root: str = "") -> str:
    """Render a pydantic ``loc`` as ``root.field[0].sub``.

    Union member tags (``str-enum[ModuleID]``) are left out: OCPI field names
    are plain identifiers.
    """
    path = root
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part.isidentifier():
            path += f".{part}" if path else part
    return path or "(object)"


def _shown(value: Any) -> str:
    text = repr(value)
    if len(text) > _SHOWN_INPUT_MAX:
        text = text[: _SHOWN_INPUT_MAX - 3] + "..."
    return text


def error_reason(error: ErrorDetails) -> str:
    """Explain one pydantic error in OCPI terms."""
    kind = error["type"]
    ctx = error.get("ctx", {})
    value = error.get("input")
    if kind == "missing":
        return "required field is missing"
    if kind == "enum":
        allowed = ", ".join(_QUOTED.findall(str(ctx.get("expected", ""))))
        return f"{_shown(value)} is not one of {allowed}"
    if kind == "string_too_long":
        length = len(value) if isinstance(value, str) else "?"
        return f"{length} characters, more than the maximum of {ctx['max_length']}"
    if kind == "too_short" and ctx.get("min_length") == 1:
        return "needs at least one entry"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    return f"{error['msg'][:1].lower()}{error['msg'][1:]} (got {_shown(value)})"


def describe_validation_error(exc: ValidationError, root: str | None = None) -> str:
    """Return one line per error: ``cdr.charging_periods[0].dimensions[1].type: ...``.

    *root* names the object (default: the model's name in snake case, so a
    ``CDR`` becomes ``cdr`` and a ``CdrToken`` becomes ``cdr_token``).
    """
    prefix = _root_name(exc.title) if root is None else root
    lines = [
        f"{error_path(err['loc'], prefix)}: {error_reason(err)}"
        for err in exc.errors(include_url=False)
    ]
    return "\n".join(lines)
