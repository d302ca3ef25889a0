"""Read a site file: TOML → validated, frozen :class:`SiteConfig`.

Every problem becomes a :class:`ConfigIssue` with the file, the line and the key
path, so that ``edge config check`` can print all of them at once and the
controller never starts on a half-valid file.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from edge.config.checks import cross_check
from edge.config.locate import key_lines, line_of
from edge.config.schema import SiteConfig


@dataclass(frozen=True)
class ConfigIssue:
    """One thing wrong with a site file."""

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.path}: {self.message}"
            if self.path
            else (f"{where}: {self.message}")
        )


class ConfigError(Exception):
    """A site file that cannot be used; ``issues`` lists every problem."""

    def __init__(self, issues: list[ConfigIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


def _loc_path(loc: Iterable[int | str]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else part
    return path


def _describe(err: Any) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "unknown key (check its spelling, or remove it)"
    if kind == "missing":
        return "missing required key"
    value = err.get("input")
    shown = "" if isinstance(value, dict | list) else f" (got {value!r})"
    return f"{err['msg']}{shown}"


def parse_config(
    text: str, file: str = "<site>", known_models: Iterable[str] | None = None
) -> SiteConfig:
    """Validate site-file text; raise :class:`ConfigError` listing every issue."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        raise ConfigError(
            [ConfigIssue(file, line, "", f"not valid TOML: {exc}")]
        ) from None
    lines = key_lines(text)
    try:
        config = SiteConfig.model_validate(data)
    except ValidationError as exc:
        issues: list[ConfigIssue] = []
        for err in exc.errors():
            path = _loc_path(err["loc"])
            # Unions and literals report one entry per alternative: keep the first.
            if any(i.path == path for i in issues):
                continue
            issues.append(ConfigIssue(file, line_of(lines, path), path, _describe(err)))
        raise ConfigError(issues) from None
    problems = cross_check(config, set(known_models) if known_models else None)
    if problems:
        raise ConfigError(
            [ConfigIssue(file, line_of(lines, p), p, msg) for p, msg in problems]
        )
    return config


def load_config(
    path: Path | str, known_models: Iterable[str] | None = None
) -> SiteConfig:
    """Read and validate the site file at ``path``."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            [ConfigIssue(str(path), None, "", f"cannot read: {exc.strerror}")]
        ) from None
    return parse_config(text, str(path), known_models)
